//! Percentiles of latencies, and the server's memory and CPU from /proc.

use std::io;

/// Nanosecond samples summarized in milliseconds.
pub struct Summary {
    pub count: usize,
    pub p50: f64,
    pub p99: f64,
    pub max: f64,
    pub min: f64,
}

impl Summary {
    pub fn of(mut samples: Vec<i64>) -> Option<Summary> {
        if samples.is_empty() {
            return None;
        }
        samples.sort_unstable();
        let at = |q: f64| {
            let i = ((samples.len() as f64 * q).ceil() as usize).clamp(1, samples.len()) - 1;
            samples[i] as f64 / 1e6
        };
        Some(Summary {
            count: samples.len(),
            p50: at(0.50),
            p99: at(0.99),
            max: samples[samples.len() - 1] as f64 / 1e6,
            min: samples[0] as f64 / 1e6,
        })
    }
}

impl std::fmt::Display for Summary {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "p50={:.3}ms p99={:.3}ms max={:.3}ms min={:.3}ms n={}",
            self.p50, self.p99, self.max, self.min, self.count
        )
    }
}

/// Prints `label` and the summary, or that there were no samples.
pub fn print(label: &str, samples: Vec<i64>) -> Option<Summary> {
    let summary = Summary::of(samples);
    match &summary {
        Some(summary) => println!("{label} {summary}"),
        None => println!("{label} none"),
    }
    summary
}

/// The run's headline figures, printed last on one line as `summary k=v ...`
/// for `bench/live.sh` to pick up.
#[derive(Default)]
pub struct Headline(Vec<String>);

impl Headline {
    pub fn add(&mut self, key: &str, value: impl std::fmt::Display) {
        self.0.push(format!("{key}={value}"));
    }

    /// p50 and p99 of `summary` as `{key}_p50_ms` and `{key}_p99_ms`.
    pub fn add_summary(&mut self, key: &str, summary: Option<&Summary>) {
        if let Some(s) = summary {
            self.add(&format!("{key}_p50_ms"), format!("{:.2}", s.p50));
            self.add(&format!("{key}_p99_ms"), format!("{:.2}", s.p99));
        }
    }

    pub fn print(&self) {
        println!("summary {}", self.0.join(" "));
    }
}

/// A process's resident memory, KiB (`VmRSS`).
pub fn rss_kib(pid: u32) -> io::Result<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status"))?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .ok_or_else(|| io::Error::other("no VmRSS"))
}

/// A process's CPU time so far (user + system), seconds.
pub fn cpu_seconds(pid: u32) -> io::Result<f64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat"))?;
    // Fields after the command name (which may hold spaces), from field 3.
    let rest = stat
        .rsplit_once(')')
        .map(|(_, r)| r)
        .ok_or_else(|| io::Error::other("bad stat"))?;
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let ticks = |i: usize| {
        fields
            .get(i)
            .and_then(|v| v.parse::<f64>().ok())
            .unwrap_or(0.0)
    };
    // utime and stime are fields 14 and 15, i.e. 11 and 12 after the name.
    // SAFETY: sysconf(3) takes no pointers.
    let hz = unsafe { libc::sysconf(libc::_SC_CLK_TCK) } as f64;
    Ok((ticks(11) + ticks(12)) / hz)
}

/// This process's own CPU time so far, seconds.
pub fn own_cpu_seconds() -> f64 {
    cpu_seconds(std::process::id()).unwrap_or(0.0)
}

/// CPU time so far: the machine's (busy and stolen by the hypervisor, from
/// /proc/stat), the server's and the generator's, to tell how much of the
/// machine other processes took during a measurement.
pub struct CpuSnapshot {
    at: std::time::Instant,
    busy: f64,
    steal: f64,
    server: f64,
    own: f64,
}

/// CPU used between two snapshots, in cores (CPU seconds per second).
pub struct CpuUse {
    pub server: f64,
    pub generator: f64,
    /// Everything else that ran on the machine.
    pub others: f64,
    pub steal: f64,
    /// The server's CPU seconds.
    pub server_seconds: f64,
}

impl CpuSnapshot {
    pub fn take(pid: u32) -> io::Result<CpuSnapshot> {
        let stat = std::fs::read_to_string("/proc/stat")?;
        let ticks: Vec<f64> = stat
            .lines()
            .next()
            .and_then(|l| l.strip_prefix("cpu "))
            .ok_or_else(|| io::Error::other("no cpu line in /proc/stat"))?
            .split_whitespace()
            .map(|v| v.parse().unwrap_or(0.0))
            .collect();
        let at = |i: usize| ticks.get(i).copied().unwrap_or(0.0);
        // SAFETY: sysconf(3) takes no pointers.
        let hz = unsafe { libc::sysconf(libc::_SC_CLK_TCK) } as f64;
        // user nice system idle iowait irq softirq steal
        let busy = (at(0) + at(1) + at(2) + at(5) + at(6)) / hz;
        Ok(CpuSnapshot {
            at: std::time::Instant::now(),
            busy,
            steal: at(7) / hz,
            server: cpu_seconds(pid)?,
            own: own_cpu_seconds(),
        })
    }

    pub fn since(&self, earlier: &CpuSnapshot) -> CpuUse {
        let secs = (self.at - earlier.at).as_secs_f64().max(1e-9);
        let server = self.server - earlier.server;
        let generator = self.own - earlier.own;
        let busy = self.busy - earlier.busy;
        CpuUse {
            server: server / secs,
            generator: generator / secs,
            others: (busy - server - generator).max(0.0) / secs,
            steal: (self.steal - earlier.steal) / secs,
            server_seconds: server,
        }
    }
}

impl std::fmt::Display for CpuUse {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "cores: server {:.2}, generator {:.2}, other processes {:.2}, stolen {:.2}",
            self.server, self.generator, self.others, self.steal
        )
    }
}
