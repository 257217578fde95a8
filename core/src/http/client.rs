//! The client-role machine: writes requests, parses responses. (Being written: see issue 2.)
