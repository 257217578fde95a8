//! Going on with the event feed after trouble that may pass (a server
//! restart, a network error, a busy server): try again from the same cursor
//! after a growing wait, saying so on stderr. The feed's cursor makes that
//! exact: nothing is missed and nothing handed out twice.

use crate::failure::Failure;
use crate::feed::{Delivered, Feed};
use crate::localtime::Zone;
use crate::render;
use std::hash::{BuildHasher, RandomState};
use std::thread;
use std::time::Duration;

pub struct Resuming {
    feed: Feed,
    backoff: Backoff,
    /// Failures in a row after which the next one is returned; `None`: never.
    give_up_after: Option<u32>,
    /// For the times in refusals shown while retrying.
    zone: Zone,
}

impl Resuming {
    pub fn new(feed: Feed, give_up_after: Option<u32>, zone: Zone) -> Resuming {
        Resuming {
            feed,
            backoff: Backoff::default(),
            give_up_after,
            zone,
        }
    }

    /// The feed's next events (none: its wait ended empty), trying again
    /// while the trouble may pass; a refusal (401: the token is not the
    /// server's) is returned at once.
    pub fn next(&mut self) -> Result<Vec<Delivered>, Failure> {
        loop {
            let failure = match self.feed.next() {
                Ok(events) => {
                    if self.backoff.failures > 0 {
                        // Not an error: no `agora:` in front.
                        eprintln!("reconnected");
                        self.backoff = Backoff::default();
                    }
                    return Ok(events);
                }
                Err(failure) => failure,
            };
            let patient = self
                .give_up_after
                .is_none_or(|most| self.backoff.failures < most);
            if !(patient && is_passing(&failure)) {
                return Err(failure);
            }
            let wait = self.backoff.next_wait(retry_after(&failure));
            eprintln!(
                "agora: {}; reconnecting in {:.1} s",
                describe(&failure, self.zone),
                wait.as_secs_f64()
            );
            thread::sleep(wait);
        }
    }
}

/// Whether trying again later may succeed: no connection or no answer, or a
/// server that is busy or failing for now (5xx, 408). Any other refusal is
/// the server's last word on this request.
fn is_passing(failure: &Failure) -> bool {
    match failure {
        Failure::Unreachable(_) => true,
        Failure::Refused(refusal) => refusal.status >= 500 || refusal.status == 408,
        Failure::Usage(_) => false,
    }
}

fn retry_after(failure: &Failure) -> Option<Duration> {
    match failure {
        Failure::Refused(refusal) => refusal.retry_after.map(Duration::from_secs),
        _ => None,
    }
}

/// What went wrong, in the words `agora` uses for it elsewhere.
fn describe(failure: &Failure, zone: Zone) -> String {
    match failure {
        Failure::Unreachable(why) | Failure::Usage(why) => why.clone(),
        Failure::Refused(refusal) => {
            let line = render::refusal(refusal, jiff::Timestamp::now(), zone);
            let line = line.trim_end();
            line.strip_prefix("agora: ").unwrap_or(line).to_owned()
        }
    }
}

/// Waits between attempts to reach the server again: doubling from
/// [`Backoff::FIRST`] up to [`Backoff::MOST`], each somewhere in its upper
/// half, so that the watchers of a restarted server do not all come back in
/// the same instant; never shorter than the server's `Retry-After`.
#[derive(Debug, Default)]
struct Backoff {
    failures: u32,
}

impl Backoff {
    const FIRST: Duration = Duration::from_millis(250);
    const MOST: Duration = Duration::from_secs(8);

    fn next_wait(&mut self, retry_after: Option<Duration>) -> Duration {
        let ceiling = Self::FIRST
            .saturating_mul(1 << self.failures.min(16))
            .min(Self::MOST);
        self.failures += 1;
        let spread =
            u32::try_from(RandomState::new().hash_one(self.failures) % 1000).expect("below 1000");
        let wait = ceiling / 2 + ceiling / 2 * spread / 1000;
        wait.max(retry_after.unwrap_or_default())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::Refusal;

    #[test]
    fn waits_grow_up_to_a_bound_and_respect_retry_after() {
        let mut backoff = Backoff::default();
        let waits: Vec<Duration> = (0..10).map(|_| backoff.next_wait(None)).collect();
        let ceilings = [250, 500, 1000, 2000, 4000, 8000, 8000, 8000, 8000, 8000];
        for (wait, ceiling) in waits.iter().zip(ceilings) {
            let ceiling = Duration::from_millis(ceiling);
            assert!(*wait >= ceiling / 2 && *wait <= ceiling, "{waits:?}");
        }
        let told = Duration::from_secs(30);
        assert_eq!(backoff.next_wait(Some(told)), told);
        assert!(Backoff::default().next_wait(Some(Duration::ZERO)) <= Backoff::FIRST);
    }

    #[test]
    fn only_passing_trouble_is_retried() {
        let refused = |status, body: &str| {
            Failure::Refused(Box::new(Refusal::new(
                status,
                body.as_bytes().to_vec(),
                None,
            )))
        };
        assert!(is_passing(&Failure::Unreachable("cannot reach".into())));
        let busy = refused(
            503,
            r#"{"error":"busy","code":"overloaded","retry_after":2}"#,
        );
        assert!(is_passing(&busy));
        assert_eq!(retry_after(&busy), Some(Duration::from_secs(2)));
        assert!(!is_passing(&refused(
            401,
            r#"{"error":"unknown token","code":"unauthorized"}"#
        )));
        assert!(!is_passing(&refused(
            400,
            r#"{"error":"bad","code":"invalid_since"}"#
        )));
    }
}
