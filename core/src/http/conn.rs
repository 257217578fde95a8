//! The server-role connection machine. (Being written: see issue 2.)

use super::{Input, Limits, Now, Output};

pub struct Conn {
    _limits: Limits,
}

impl Conn {
    pub fn new(limits: Limits, now: Now) -> Conn {
        let _ = now;
        Conn { _limits: limits }
    }

    pub fn handle_input(&mut self, input: Input<'_>, now: Now) {
        let _ = (input, now);
        todo!("issue 2")
    }

    pub fn poll_output(&mut self) -> Output {
        todo!("issue 2")
    }
}
