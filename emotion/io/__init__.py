"""Input and output: images, video through ffmpeg, model files (read side), atomic file writes.

Used by every other wing; imports none of them."""
