"""Images in the conversation: loading and checking them, reading their text (OCR), keeping the
parts of long text that matter for the question, and answering simple questions about it.

Flow of an image turn: ``image.load_image`` (validate, first frame, downscale) → ``ocr`` (text in
reading order) → ``select.select_relevant`` (fit the token budget) → the engine receives it as
``turn_context`` (delimited data, never instructions); the image skill answers "read this",
"what is the total", "remember this" deterministically from the same text.
"""
