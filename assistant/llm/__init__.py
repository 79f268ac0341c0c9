"""Language models: a Protocol, the torch backend, the ONNX backend and a fake."""
