//! The demo: a small realistic database served with no configuration.
