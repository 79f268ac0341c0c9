"""The live voice loop: capture → VAD/end of turn → ASR → engine → TTS → playback, barge-in."""
