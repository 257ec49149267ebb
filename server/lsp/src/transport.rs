//! Message framing in front of tower-lsp-server. Its reader stops for good at the first
//! message it cannot decode, so every incoming message is checked here first: a well-formed
//! JSON-RPC message goes through unchanged; anything else (bad JSON, a body that is not a
//! JSON-RPC message, garbage between messages, a body over the size limit) is answered with a
//! JSON-RPC error and dropped, and the server keeps reading. Outgoing messages are copied
//! frame by frame, so those error responses never interleave with the server's output.

use serde_json::{json, Value};
use tokio::io::{AsyncBufReadExt, AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, BufReader};
use tokio::sync::mpsc;

/// The largest message body accepted (a whole manuscript fits many times over).
pub const MAX_MESSAGE_BYTES: usize = 64 << 20;

/// What one framed read produced.
#[derive(Debug, PartialEq)]
pub enum Frame {
    Body(Vec<u8>),
    /// Unusable input, with the reason; reading can go on.
    Invalid(String),
    End,
}

/// Reads one `Content-Length`-framed message.
pub async fn read_frame<R: AsyncRead + Unpin>(reader: &mut BufReader<R>) -> std::io::Result<Frame> {
    let mut length: Option<Result<usize, String>> = None;
    let mut saw_header = false;
    loop {
        let mut line = Vec::new();
        if reader.read_until(b'\n', &mut line).await? == 0 {
            return Ok(Frame::End);
        }
        let text = String::from_utf8_lossy(&line);
        let text = text.trim_end_matches(['\r', '\n']);
        if text.is_empty() {
            if saw_header {
                break;
            }
            continue; // stray blank line between messages
        }
        saw_header = true;
        if let Some((name, value)) = text.split_once(':') {
            if name.trim().eq_ignore_ascii_case("content-length") {
                length = Some(
                    value
                        .trim()
                        .parse::<usize>()
                        .map_err(|_| format!("invalid Content-Length `{}`", value.trim())),
                );
            }
        } else {
            return Ok(Frame::Invalid(format!(
                "expected a `Content-Length` header, got {:?}",
                text.chars().take(40).collect::<String>()
            )));
        }
    }
    let length = match length {
        None => {
            return Ok(Frame::Invalid(
                "message without a Content-Length header".into(),
            ))
        }
        Some(Err(e)) => return Ok(Frame::Invalid(e)),
        Some(Ok(n)) => n,
    };
    if length > MAX_MESSAGE_BYTES {
        // Skip the body without keeping it.
        let skipped = tokio::io::copy(
            &mut (&mut *reader).take(length as u64),
            &mut tokio::io::sink(),
        )
        .await?;
        if (skipped as usize) < length {
            return Ok(Frame::End);
        }
        return Ok(Frame::Invalid(format!(
            "message of {length} bytes is over the limit of {MAX_MESSAGE_BYTES}"
        )));
    }
    let mut body = vec![0; length];
    if reader.read_exact(&mut body).await.is_err() {
        return Ok(Frame::End);
    }
    Ok(Frame::Body(body))
}

/// Why `body` is not a JSON-RPC message tower-lsp-server can take, if it is not; the id of a
/// malformed request when it can be read.
pub fn check_message(body: &[u8]) -> Result<(), (String, Value)> {
    let value: Value =
        serde_json::from_slice(body).map_err(|e| (format!("Parse error: {e}"), Value::Null))?;
    let Value::Object(map) = &value else {
        return Err(("Invalid request: not a JSON object".into(), Value::Null));
    };
    let id = map.get("id").cloned().unwrap_or(Value::Null);
    let id_ok = matches!(
        map.get("id"),
        None | Some(Value::Number(_)) | Some(Value::String(_))
    );
    let ok = map.get("jsonrpc") == Some(&json!("2.0"))
        && id_ok
        && match map.get("method") {
            Some(Value::String(_)) => map
                .get("params")
                .is_none_or(|p| p.is_object() || p.is_array() || p.is_null()),
            Some(_) => false,
            None => {
                map.contains_key("id") && (map.contains_key("result") || map.contains_key("error"))
            }
        };
    if ok {
        Ok(())
    } else {
        Err(("Invalid request: not a JSON-RPC 2.0 message".into(), id))
    }
}

fn error_response(id: Value, code: i64, message: &str) -> Vec<u8> {
    json!({"jsonrpc": "2.0", "id": id, "error": {"code": code, "message": message}})
        .to_string()
        .into_bytes()
}

/// Copies checked messages from `input` to the server; answers the others through `errors`.
pub async fn filter_input<R, W>(input: R, mut server: W, errors: mpsc::Sender<Vec<u8>>)
where
    R: AsyncRead + Unpin,
    W: AsyncWrite + Unpin,
{
    let mut reader = BufReader::new(input);
    loop {
        let frame = match read_frame(&mut reader).await {
            Ok(f) => f,
            Err(e) => {
                tracing::error!("cannot read from the client: {e}");
                break;
            }
        };
        match frame {
            Frame::End => break,
            Frame::Invalid(reason) => {
                tracing::warn!("dropped malformed input: {reason}");
                let _ = errors
                    .send(error_response(Value::Null, -32700, &reason))
                    .await;
            }
            Frame::Body(body) => match check_message(&body) {
                Ok(()) => {
                    let header = format!("Content-Length: {}\r\n\r\n", body.len());
                    if server.write_all(header.as_bytes()).await.is_err()
                        || server.write_all(&body).await.is_err()
                        || server.flush().await.is_err()
                    {
                        break;
                    }
                }
                Err((reason, id)) => {
                    tracing::warn!("dropped malformed message: {reason}");
                    let code = if reason.starts_with("Parse") {
                        -32700
                    } else {
                        -32600
                    };
                    let _ = errors.send(error_response(id, code, &reason)).await;
                }
            },
        }
    }
    let _ = server.shutdown().await;
}

/// Writes the server's messages and the filter's error responses to `output`, whole frames
/// at a time.
pub async fn merge_output<R, W>(server: R, mut errors: mpsc::Receiver<Vec<u8>>, mut output: W)
where
    R: AsyncRead + Unpin,
    W: AsyncWrite + Unpin,
{
    let mut reader = BufReader::new(server);
    loop {
        let body = tokio::select! {
            frame = read_frame(&mut reader) => match frame {
                Ok(Frame::Body(body)) => body,
                Ok(Frame::Invalid(reason)) => {
                    tracing::error!("unexpected server output: {reason}");
                    continue;
                }
                _ => break, // the server has exited
            },
            Some(body) = errors.recv() => body,
        };
        let header = format!("Content-Length: {}\r\n\r\n", body.len());
        if output.write_all(header.as_bytes()).await.is_err()
            || output.write_all(&body).await.is_err()
            || output.flush().await.is_err()
        {
            break;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_json_rpc_messages_pass() {
        assert!(check_message(br#"{"jsonrpc":"2.0","id":1,"method":"shutdown"}"#).is_ok());
        assert!(check_message(br#"{"jsonrpc":"2.0","method":"initialized","params":{}}"#).is_ok());
        assert!(check_message(br#"{"jsonrpc":"2.0","id":"a","result":null}"#).is_ok());
        let (reason, id) = check_message(b"{garbage}").unwrap_err();
        assert!(reason.starts_with("Parse error"), "{reason}");
        assert_eq!(id, Value::Null);
        let (reason, id) = check_message(br#"{"jsonrpc":"2.0","id":7,"method":3}"#).unwrap_err();
        assert!(reason.starts_with("Invalid request"));
        assert_eq!(id, json!(7));
        assert!(check_message(br#"[1,2]"#).is_err());
        assert!(
            check_message(br#"{"id":1,"method":"x"}"#).is_err(),
            "no jsonrpc field"
        );
        assert!(check_message(br#"{"jsonrpc":"2.0","id":1,"method":"x","params":5}"#).is_err());
    }

    #[tokio::test]
    async fn frames_recover_after_garbage() {
        let input: &[u8] = b"Content-Length: 2\r\n\r\n{}\r\nnot a header\nContent-Length: x\r\n\r\nContent-Length: 1\r\n\r\n1";
        let mut reader = BufReader::new(input);
        assert_eq!(
            read_frame(&mut reader).await.unwrap(),
            Frame::Body(b"{}".to_vec())
        );
        assert!(
            matches!(read_frame(&mut reader).await.unwrap(), Frame::Invalid(r) if r.contains("Content-Length"))
        );
        assert!(
            matches!(read_frame(&mut reader).await.unwrap(), Frame::Invalid(r) if r.contains("invalid Content-Length"))
        );
        assert_eq!(
            read_frame(&mut reader).await.unwrap(),
            Frame::Body(b"1".to_vec())
        );
        assert_eq!(read_frame(&mut reader).await.unwrap(), Frame::End);
    }
}
