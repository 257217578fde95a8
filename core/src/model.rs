//! `View` in memory: the oracle the SQLite store is checked against. (Being written: see issue 3.)
