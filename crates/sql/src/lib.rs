//! Turns plans into SQL text with bound parameters (pure).
