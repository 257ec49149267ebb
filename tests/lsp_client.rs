//! A minimal LSP client over the real binary's stdio, as an editor drives it: Content-Length
//! framing, request/response matching, server-to-client requests answered, notifications kept.

use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc::{channel, Receiver};
use std::time::Duration;

use serde_json::{json, Value};

/// How long any single message may take to arrive.
const TIMEOUT: Duration = Duration::from_secs(120);

pub struct LspClient {
    child: Child,
    stdin: ChildStdin,
    incoming: Receiver<Value>,
    next_id: i64,
    /// Notifications from the server (e.g. window/showMessage), in arrival order.
    pub notifications: Vec<Value>,
    /// Methods of requests the server sent to the client.
    pub server_requests: Vec<String>,
    /// The server's `XDG_DATA_HOME` (where it keeps corrections with no workspace folder),
    /// unless the caller set one: a test never writes to the real home folder.
    pub data_home: Option<tempfile::TempDir>,
}

fn read_message(reader: &mut impl BufRead) -> Option<Value> {
    let mut length = None;
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).ok()? == 0 {
            return None;
        }
        let line = line.trim_end();
        if line.is_empty() {
            break;
        }
        if let Some(v) = line.strip_prefix("Content-Length:") {
            length = v.trim().parse::<usize>().ok();
        }
    }
    let mut body = vec![0; length?];
    reader.read_exact(&mut body).ok()?;
    serde_json::from_slice(&body).ok()
}

impl LspClient {
    /// Starts `binary args...` (e.g. `bioscope lsp --model DIR`) with `envs`.
    pub fn start(binary: &Path, args: &[&str], envs: &[(&str, &Path)]) -> LspClient {
        let mut command = Command::new(binary);
        command
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit());
        for (k, v) in envs {
            command.env(k, v);
        }
        let data_home = (!envs.iter().any(|(k, _)| *k == "XDG_DATA_HOME")).then(|| {
            let dir = tempfile::tempdir().expect("a temporary data folder");
            command.env("XDG_DATA_HOME", dir.path());
            dir
        });
        let mut child = command.spawn().expect("the server starts");
        let stdin = child.stdin.take().unwrap();
        let stdout = child.stdout.take().unwrap();
        let (tx, incoming) = channel();
        std::thread::spawn(move || {
            let mut reader = BufReader::new(stdout);
            while let Some(message) = read_message(&mut reader) {
                if tx.send(message).is_err() {
                    break;
                }
            }
        });
        LspClient {
            child,
            stdin,
            incoming,
            next_id: 1,
            notifications: Vec::new(),
            server_requests: Vec::new(),
            data_home,
        }
    }

    /// The server's process id (for RSS figures in benchmarks).
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    fn send(&mut self, message: &Value) {
        let body = message.to_string();
        write!(self.stdin, "Content-Length: {}\r\n\r\n{body}", body.len()).unwrap();
        self.stdin.flush().unwrap();
    }

    /// Sends raw bytes (for malformed-input tests).
    pub fn send_raw(&mut self, bytes: &[u8]) {
        self.stdin.write_all(bytes).unwrap();
        self.stdin.flush().unwrap();
    }

    /// Answers a request the server sent (e.g. one caught with [`wait_for`](Self::wait_for)).
    pub fn respond(&mut self, id: Value, result: Value) {
        self.send(&json!({"jsonrpc": "2.0", "id": id, "result": result}));
    }

    pub fn notify(&mut self, method: &str, params: Value) {
        self.send(&json!({"jsonrpc": "2.0", "method": method, "params": params}));
    }

    /// Sends a request and returns its response (`result` or `error` inside).
    pub fn request(&mut self, method: &str, params: Value) -> Value {
        let id = self.send_request(method, params);
        self.response(id)
    }

    /// Sends a request without waiting; returns its id (see [`response`](Self::response)).
    pub fn send_request(&mut self, method: &str, params: Value) -> i64 {
        let id = self.next_id;
        self.next_id += 1;
        self.send(&json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params}));
        id
    }

    /// Waits for the response to the request with this id.
    pub fn response(&mut self, id: i64) -> Value {
        self.wait_for(|m| m.get("id") == Some(&json!(id)) && m.get("method").is_none())
    }

    /// Reads messages until one matches, answering server requests and keeping notifications.
    pub fn wait_for(&mut self, matches: impl Fn(&Value) -> bool) -> Value {
        loop {
            let message = self
                .incoming
                .recv_timeout(TIMEOUT)
                .expect("the server answers in time");
            if matches(&message) {
                return message;
            }
            match (message.get("id"), message.get("method")) {
                (Some(id), Some(method)) => {
                    self.server_requests
                        .push(method.as_str().unwrap_or_default().to_string());
                    let id = id.clone();
                    self.respond(id, Value::Null);
                }
                (None, Some(_)) => self.notifications.push(message),
                _ => {}
            }
        }
    }

    /// The first notification of `method` (already received or still to come), taken out of
    /// [`notifications`](Self::notifications).
    pub fn notification(&mut self, method: &str) -> Value {
        if let Some(i) = self
            .notifications
            .iter()
            .position(|m| m["method"] == method)
        {
            return self.notifications.remove(i);
        }
        self.wait_for(|m| m["method"] == method && m.get("id").is_none())
    }

    /// `initialize` + `initialized`; returns the initialize result.
    pub fn initialize(&mut self, capabilities: Value, options: Value) -> Value {
        let response = self.request(
            "initialize",
            json!({"processId": null, "rootUri": null, "capabilities": capabilities,
                   "initializationOptions": options}),
        );
        self.notify("initialized", json!({}));
        response["result"].clone()
    }

    /// shutdown + exit; returns the exit status code.
    pub fn shutdown(mut self) -> Option<i32> {
        let response = self.request("shutdown", Value::Null);
        assert!(response.get("error").is_none(), "{response}");
        self.notify("exit", Value::Null);
        for _ in 0..100 {
            if let Ok(Some(status)) = self.child.try_wait() {
                return status.code();
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = self.child.kill();
        None
    }
}

impl Drop for LspClient {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Decodes semantic-token data (UTF-16 columns) into `(line, start, length, type, modifiers)`.
pub fn decode_tokens(data: &[u64]) -> Vec<(u64, u64, u64, u64, u64)> {
    let (mut line, mut start) = (0, 0);
    data.chunks(5)
        .map(|t| {
            if t[0] > 0 {
                line += t[0];
                start = t[1];
            } else {
                start += t[1];
            }
            (line, start, t[2], t[3], t[4])
        })
        .collect()
}

/// The text a token covers (`line`, UTF-16 `start` and `length`).
pub fn token_text(text: &str, line: u64, start: u64, length: u64) -> String {
    let line_text = text.lines().nth(line as usize).unwrap_or_default();
    let units: Vec<u16> = line_text.encode_utf16().collect();
    let (s, e) = (start as usize, (start + length) as usize);
    String::from_utf16_lossy(&units[s.min(units.len())..e.min(units.len())])
}
