"""Speech recognition: a Protocol, the openai-whisper and faster-whisper backends, a fake."""
