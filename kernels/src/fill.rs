//! Populating a banded-block-banded matrix block by block, in parallel.
