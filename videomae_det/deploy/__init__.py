"""ONNX export (:mod:`.export`, :mod:`.graphs`) and the onnxruntime
backend (:mod:`.runtime`). Needs the ``deploy`` extra (onnx, onnxruntime,
onnxscript)."""
