//! The property tests' world: the rules applied straight to commands over the
//! model, under one configuration, the clock moving a fixed step before each
//! command (so that every command happens at a time of its own).

use super::T0;
use agora_core::command::{Command, Outcome};
use agora_core::config::Config;
use agora_core::rules;
use agora_core::time::UnixMillis;
use agora_testkit::model::Model;

pub struct World {
    pub model: Model,
    pub config: Config,
    pub now: UnixMillis,
    /// How far the clock moves before each command.
    step_ms: u64,
}

impl World {
    /// An empty model at [`T0`] under `config`.
    pub fn new(config: Config, step_ms: u64) -> World {
        World {
            model: Model::new(UnixMillis(T0)),
            config,
            now: UnixMillis(T0),
            step_ms,
        }
    }

    /// Moves the clock one step, then applies `command`.
    pub fn apply(&mut self, command: Command) -> Outcome {
        self.now = self.now.plus_ms(self.step_ms);
        rules::apply(&command, &mut self.model, self.now, &self.config)
            .expect("the model never fails")
    }
}
