"""One gunicorn, 2 workers, on a tiny model for the package's tests, with a small
V2_MAX_CONTENT_LENGTH so that RESOURCE_EXHAUSTED is cheap to reach."""

import pytest

from tests.conftest import write_tiny_model
from tests.helpers.servers import Gunicorn

LIMIT = 64 * 1024  # V2_MAX_CONTENT_LENGTH of the shared server: 20 images of FP32


@pytest.fixture(scope="package")
def tiny_server(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("grpc")
    write_tiny_model(tmp / "model")
    server = Gunicorn(model_dir=tmp / "model", workers=2, log_dir=tmp,
                      env={"V2_MAX_CONTENT_LENGTH": str(LIMIT)})
    yield server
    server.stop()
