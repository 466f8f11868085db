//! Malformed and oversize input: the right close code, other clients unaffected, the document intact.
