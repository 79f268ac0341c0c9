"""Speech synthesis: a Protocol, the neural Piper voice (ONNX), espeak-ng/pyttsx3, a fake."""
