//! CPU time and memory of a process, from /proc (Linux).

use crate::SuiteError;

/// User plus system CPU time in milliseconds.
pub fn cpu_ms(pid: u32) -> Result<u64, SuiteError> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat"))?;
    // The command name may hold spaces: the fields after the closing parenthesis are fixed.
    let rest = stat
        .rsplit_once(')')
        .map(|(_, r)| r)
        .ok_or("unexpected /proc/pid/stat")?;
    let fields: Vec<&str> = rest.split_whitespace().collect();
    // utime and stime are fields 14 and 15 of stat, 12 and 13 after the name.
    let ticks: u64 = fields
        .get(11..13)
        .ok_or("unexpected /proc/pid/stat")?
        .iter()
        .map(|f| f.parse::<u64>().unwrap_or(0))
        .sum();
    Ok(ticks * 1000 / clock_ticks())
}

fn clock_ticks() -> u64 {
    std::process::Command::new("getconf")
        .arg("CLK_TCK")
        .output()
        .ok()
        .and_then(|o| String::from_utf8_lossy(&o.stdout).trim().parse().ok())
        .filter(|t: &u64| *t > 0)
        .unwrap_or(100)
}

/// Resident set size now, in kB.
pub fn rss_kb(pid: u32) -> Result<u64, SuiteError> {
    status_kb(pid, "VmRSS:")
}

/// The highest resident set size so far, in kB.
pub fn peak_rss_kb(pid: u32) -> Result<u64, SuiteError> {
    status_kb(pid, "VmHWM:")
}

fn status_kb(pid: u32, field: &str) -> Result<u64, SuiteError> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status"))?;
    status
        .lines()
        .find_map(|l| l.strip_prefix(field))
        .and_then(|v| v.split_whitespace().next())
        .and_then(|n| n.parse().ok())
        .ok_or_else(|| format!("no {field} in /proc/{pid}/status").into())
}
