"""The alignment job: ECC-align an SR-RAW sequence and write its tform.txt / wb.txt / align.json
(:mod:`.sequence_align`), built on the geometry and data building blocks."""
