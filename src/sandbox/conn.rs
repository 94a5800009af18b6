//! Connections the sandbox can drop in the middle of a call, for the "applied,
//! then no answer" fault: a listener whose streams carry a switch that a handler
//! can throw, after which the stream refuses to read or write and the server
//! closes it without sending the answer.

use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::task::{Context, Poll};
use std::time::Duration;

use axum::extract::connect_info::Connected;
use axum::serve::{IncomingStream, Listener};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};

/// How long to wait before accepting again after a resource error (too many open
/// files): long enough for connections to close, short enough to go unnoticed.
const ACCEPT_BACKOFF: Duration = Duration::from_millis(100);

/// The switch of one connection, handed to handlers as connection info.
#[derive(Clone, Debug, Default)]
pub struct ConnectionControl {
    dropped: Arc<AtomicBool>,
}

impl ConnectionControl {
    /// Drops the connection: nothing more is read or written on it.
    pub fn drop_connection(&self) {
        self.dropped.store(true, Ordering::SeqCst);
    }

    fn is_dropped(&self) -> bool {
        self.dropped.load(Ordering::SeqCst)
    }
}

/// A TCP listener whose connections can be dropped by their handler.
#[derive(Debug)]
pub struct ControlledListener {
    inner: TcpListener,
}

impl ControlledListener {
    pub fn new(inner: TcpListener) -> Self {
        ControlledListener { inner }
    }
}

impl Listener for ControlledListener {
    type Io = ControlledStream;
    type Addr = SocketAddr;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        loop {
            match self.inner.accept().await {
                Ok((stream, addr)) => {
                    // Small JSON answers should not wait for Nagle's algorithm.
                    if let Err(e) = stream.set_nodelay(true) {
                        tracing::debug!(error = %e, "cannot set TCP_NODELAY");
                    }
                    let stream = ControlledStream {
                        inner: stream,
                        control: ConnectionControl::default(),
                    };
                    return (stream, addr);
                }
                // A client that went away before being accepted: try the next one.
                Err(e) if is_connection_error(&e) => {}
                Err(e) => {
                    tracing::warn!(error = %e, "sandbox cannot accept a connection");
                    tokio::time::sleep(ACCEPT_BACKOFF).await;
                }
            }
        }
    }

    fn local_addr(&self) -> io::Result<Self::Addr> {
        self.inner.local_addr()
    }
}

fn is_connection_error(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::ConnectionRefused
            | io::ErrorKind::ConnectionAborted
            | io::ErrorKind::ConnectionReset
    )
}

/// A TCP stream with a drop switch.
#[derive(Debug)]
pub struct ControlledStream {
    inner: TcpStream,
    control: ConnectionControl,
}

fn dropped() -> io::Error {
    io::Error::new(
        io::ErrorKind::ConnectionReset,
        "connection dropped by fault injection",
    )
}

impl AsyncRead for ControlledStream {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        if this.control.is_dropped() {
            return Poll::Ready(Err(dropped()));
        }
        Pin::new(&mut this.inner).poll_read(cx, buf)
    }
}

impl AsyncWrite for ControlledStream {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        if this.control.is_dropped() {
            return Poll::Ready(Err(dropped()));
        }
        Pin::new(&mut this.inner).poll_write(cx, buf)
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        if this.control.is_dropped() {
            return Poll::Ready(Err(dropped()));
        }
        Pin::new(&mut this.inner).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_shutdown(cx)
    }
}

impl Connected<IncomingStream<'_, ControlledListener>> for ConnectionControl {
    fn connect_info(stream: IncomingStream<'_, ControlledListener>) -> Self {
        stream.io().control.clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    #[tokio::test]
    async fn a_dropped_stream_refuses_to_write_and_the_peer_sees_the_close() {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let mut listener = ControlledListener::new(listener);
        let client = tokio::spawn(async move {
            let mut s = TcpStream::connect(addr).await.unwrap();
            let mut buf = Vec::new();
            s.read_to_end(&mut buf).await.map(|_| buf.len())
        });
        let (mut stream, _) = Listener::accept(&mut listener).await;
        stream.control.drop_connection();
        assert!(stream.write_all(b"answer").await.is_err());
        drop(stream);
        // The peer reads nothing but the end of the stream (or a reset).
        let read = client.await.unwrap();
        assert!(matches!(read, Ok(0) | Err(_)));
    }
}
