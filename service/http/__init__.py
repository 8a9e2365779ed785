"""HTTP: the routes of both protocols, the body, error rendering, the page, OpenAPI.

Routes only: a route reads the request, hands the body to its protocol's codec
(service/codec/), the inputs to the served model (service/model/), and the
result back to the codec for the answer.
"""
