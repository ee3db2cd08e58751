//! A `weft serve` process for the tasks that load or fuzz a real server (W1, fuzz-api): started
//! on a free 127.0.0.1 port and a fresh data directory, its bootstrap API key read from stdout,
//! stopped with SIGTERM (killed if it hangs), its data directory removed on every way out.

use serde_json::Value;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// A free port on 127.0.0.1 (bound and released; the server binds it right after).
pub(crate) fn free_port() -> Result<u16, String> {
    let l = TcpListener::bind("127.0.0.1:0").map_err(|e| format!("finding a free port: {e}"))?;
    l.local_addr()
        .map(|a| a.port())
        .map_err(|e| format!("finding a free port: {e}"))
}

/// The `weft serve` process under test. Dropping it kills the process if it still runs and
/// removes the data directory (unless kept).
pub(crate) struct Server {
    child: Child,
    pub(crate) dir: PathBuf,
    keep: bool,
    pub(crate) api: Api,
}

impl Server {
    pub(crate) fn start(bin: &Path, dir: &Path, keep: bool) -> Result<Server, String> {
        Self::start_with(bin, dir, keep, &[], &[])
    }

    /// Like [`Server::start`], with more `weft serve` arguments and environment variables
    /// (applied after the defaults are cleared).
    pub(crate) fn start_with(
        bin: &Path,
        dir: &Path,
        keep: bool,
        args: &[&str],
        envs: &[(&str, &str)],
    ) -> Result<Server, String> {
        let port = free_port()?;
        let addr: SocketAddr = ([127, 0, 0, 1], port).into();
        let log = std::fs::File::create(dir.join("server.log"))
            .map_err(|e| format!("creating the server log: {e}"))?;
        eprintln!(
            "==> weft serve --listen {addr} --data-dir {}",
            dir.display()
        );
        let mut child = Command::new(bin)
            .args(["serve", "--listen", &addr.to_string(), "--data-dir"])
            .arg(dir)
            .args(["--shutdown-grace", "10s"])
            // The benchmark measures the defaults, whatever this shell sets.
            .env_remove("WEFT_DATABASE")
            .env_remove("WEFT_MASTER_KEY")
            .env_remove("WEFT_PUBLIC_URL")
            .env_remove("WEFT_LOG")
            .env_remove("WEFT_LOG_FORMAT")
            .args(args)
            .envs(envs.iter().copied())
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(log)
            .spawn()
            .map_err(|e| format!("starting {}: {e}", bin.display()))?;
        let stdout = child.stdout.take().ok_or("no stdout")?;
        let mut server = Server {
            child,
            dir: dir.to_path_buf(),
            keep,
            api: Api {
                addr,
                key: String::new(),
            },
        };
        // Lines go through a channel so waiting for the key has a deadline; the thread keeps
        // draining stdout afterwards.
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                let _ = tx.send(line);
            }
        });
        let deadline = Instant::now() + Duration::from_secs(60);
        const PREFIX: &str = "API key (shown once, keep it safe):";
        server.api.key = loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match rx.recv_timeout(left) {
                Ok(line) => {
                    if let Some(k) = line.trim().strip_prefix(PREFIX) {
                        break k.trim().to_string();
                    }
                }
                Err(_) => {
                    return Err(format!(
                        "weft serve printed no API key within 60 s\n{}",
                        server.log_tail()
                    ));
                }
            }
        };
        if !server.api.key.starts_with("weft_") {
            return Err(format!("unexpected API key {:?}", server.api.key));
        }
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if let Ok((200, _)) = server.api.call("GET", "/healthz", None) {
                break;
            }
            if let Ok(Some(status)) = server.child.try_wait() {
                return Err(format!(
                    "weft serve exited ({status})\n{}",
                    server.log_tail()
                ));
            }
            if Instant::now() > deadline {
                return Err("weft serve did not answer /healthz within 30 s".into());
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        Ok(server)
    }

    pub(crate) fn pid(&self) -> u32 {
        self.child.id()
    }

    /// A `kB` line of `/proc/PID/status` (`VmRSS`, `VmHWM`).
    pub(crate) fn status_kb(&self, field: &str) -> Result<u64, String> {
        let path = format!("/proc/{}/status", self.pid());
        let text = std::fs::read_to_string(&path).map_err(|e| format!("reading {path}: {e}"))?;
        text.lines()
            .find_map(|l| l.strip_prefix(field)?.strip_prefix(':'))
            .and_then(|v| v.split_whitespace().next()?.parse().ok())
            .ok_or_else(|| format!("no {field} in {path}"))
    }

    /// User plus system CPU time of the server so far.
    pub(crate) fn cpu_seconds(&self) -> Result<f64, String> {
        let path = format!("/proc/{}/stat", self.pid());
        let text = std::fs::read_to_string(&path).map_err(|e| format!("reading {path}: {e}"))?;
        // Fields after the command name (which is in parentheses and may hold spaces):
        // state is field 3, utime 14, stime 15.
        let rest = text.rsplit_once(')').map(|(_, r)| r).unwrap_or("");
        let f: Vec<&str> = rest.split_whitespace().collect();
        let ticks = |i: usize| f.get(i).and_then(|v| v.parse::<u64>().ok()).unwrap_or(0);
        // SAFETY: sysconf has no preconditions.
        let hz = unsafe { libc::sysconf(libc::_SC_CLK_TCK) }.max(1) as f64;
        Ok((ticks(11) + ticks(12)) as f64 / hz)
    }

    /// Sends SIGTERM and waits for a graceful exit.
    pub(crate) fn stop(&mut self, limit: Duration) -> Result<String, String> {
        let started = Instant::now();
        // SAFETY: kill has no memory preconditions; the pid is our child's, not yet reaped.
        if unsafe { libc::kill(self.pid() as libc::pid_t, libc::SIGTERM) } != 0 {
            return Err("sending SIGTERM failed".into());
        }
        loop {
            match self.child.try_wait() {
                Ok(Some(status)) => {
                    return Ok(format!(
                        "exited {} after {:.2} s",
                        status
                            .code()
                            .map_or_else(|| status.to_string(), |c| c.to_string()),
                        started.elapsed().as_secs_f64()
                    ));
                }
                Ok(None) if started.elapsed() > limit => {
                    return Err(format!("weft serve still running {limit:?} after SIGTERM"));
                }
                Ok(None) => std::thread::sleep(Duration::from_millis(20)),
                Err(e) => return Err(format!("waiting for weft serve: {e}")),
            }
        }
    }

    pub(crate) fn log_tail(&self) -> String {
        let text = std::fs::read_to_string(self.dir.join("server.log")).unwrap_or_default();
        let lines: Vec<&str> = text.lines().collect();
        lines[lines.len().saturating_sub(20)..].join("\n")
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
        if !self.keep {
            let _ = std::fs::remove_dir_all(&self.dir);
        }
    }
}

/// A minimal HTTP/1.1 client for the few API calls the benchmark makes (one connection per
/// call, `Connection: close`).
#[derive(Clone)]
pub(crate) struct Api {
    pub(crate) addr: SocketAddr,
    pub(crate) key: String,
}

impl Api {
    pub(crate) fn call(
        &self,
        method: &str,
        path: &str,
        body: Option<&Value>,
    ) -> Result<(u16, Value), String> {
        let what = format!("{method} {path}");
        let mut s = TcpStream::connect_timeout(&self.addr, Duration::from_secs(5))
            .map_err(|e| format!("{what}: connecting: {e}"))?;
        let _ = s.set_read_timeout(Some(Duration::from_secs(60)));
        let _ = s.set_write_timeout(Some(Duration::from_secs(60)));
        let body = body.map(Value::to_string).unwrap_or_default();
        let mut req = format!(
            "{method} {path} HTTP/1.1\r\nHost: {}\r\nConnection: close\r\nAccept: application/json\r\n",
            self.addr
        );
        if !self.key.is_empty() {
            req.push_str(&format!("Authorization: Bearer {}\r\n", self.key));
        }
        if method != "GET" {
            req.push_str(&format!(
                "Content-Type: application/json\r\nContent-Length: {}\r\n",
                body.len()
            ));
        }
        req.push_str("\r\n");
        req.push_str(&body);
        s.write_all(req.as_bytes())
            .map_err(|e| format!("{what}: sending: {e}"))?;
        let mut raw = Vec::new();
        s.read_to_end(&mut raw)
            .map_err(|e| format!("{what}: reading: {e}"))?;
        let split = raw
            .windows(4)
            .position(|w| w == b"\r\n\r\n")
            .ok_or_else(|| format!("{what}: no end of headers"))?;
        let head = String::from_utf8_lossy(&raw[..split]).to_ascii_lowercase();
        let mut payload = raw[split + 4..].to_vec();
        let status: u16 = head
            .split_whitespace()
            .nth(1)
            .and_then(|s| s.parse().ok())
            .ok_or_else(|| format!("{what}: bad status line"))?;
        if head.contains("transfer-encoding: chunked") {
            payload = dechunk(&payload);
        }
        let value = if payload.is_empty() {
            Value::Null
        } else {
            serde_json::from_slice(&payload)
                .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&payload).into_owned()))
        };
        Ok((status, value))
    }

    /// Counts runs with these statuses by paging through `GET /api/v1/runs`.
    pub(crate) fn count_runs(&self, statuses: &str) -> Result<u64, String> {
        self.count_runs_limited(statuses, u64::MAX)
    }

    pub(crate) fn count_runs_limited(&self, statuses: &str, at_most: u64) -> Result<u64, String> {
        let mut count = 0;
        let mut cursor: Option<String> = None;
        loop {
            let mut path = format!("/api/v1/runs?status={statuses}&limit=500");
            if let Some(c) = &cursor {
                path.push_str(&format!("&cursor={c}"));
            }
            let (status, page) = self.call("GET", &path, None)?;
            if status != 200 {
                return Err(format!("GET {path}: {status} {page}"));
            }
            count += page["items"].as_array().map_or(0, Vec::len) as u64;
            match page["nextCursor"].as_str() {
                Some(c) if count < at_most => cursor = Some(c.to_string()),
                _ => return Ok(count),
            }
        }
    }
}

pub(crate) fn dechunk(mut b: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    while let Some(eol) = b.windows(2).position(|w| w == b"\r\n") {
        let size = std::str::from_utf8(&b[..eol])
            .ok()
            .and_then(|s| usize::from_str_radix(s.split(';').next()?.trim(), 16).ok())
            .unwrap_or(0);
        b = &b[eol + 2..];
        if size == 0 || size > b.len() {
            break;
        }
        out.extend_from_slice(&b[..size]);
        b = b.get(size + 2..).unwrap_or_default();
    }
    out
}
