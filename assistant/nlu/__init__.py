"""Understanding: intent detection, slots, sentiment and emotion."""
