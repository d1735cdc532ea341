//! A throwaway PostgreSQL cluster in a temporary directory, for the demo and tests when no server answers.
