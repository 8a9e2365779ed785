"""The artifact for other servers: ONNX (onnx_file.py) and a Triton repository (triton.py)."""
