//! A client-side limit on requests to the Kubernetes API server
//! (`--kube-api-qps`, `--kube-api-burst`), with client-go's semantics: a token
//! bucket that holds up to `burst` tokens and refills at `qps` tokens per
//! second; each request (a list page, a watch, a status write) takes one token
//! when it starts and waits for one when the bucket is empty.
//!
//! It is a `tower` layer on the kube client's HTTP stack. The bucket is written
//! here rather than taken from a rate-limit crate because it must run on
//! tokio's clock, so that tests can pause and advance it and count what went
//! through.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll, ready};
use std::time::Duration;

use tokio::time::{Instant, Sleep};
use tower::{Layer, Service};

/// `qps` requests per second on average, in bursts of up to `burst`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct RequestRate {
    /// Tokens added per second; must be positive.
    pub qps: f64,
    /// The bucket's size: how many requests may start at once after a pause.
    pub burst: u32,
}

/// The token bucket. A request that finds it empty reserves the next token
/// (the count goes below zero) and waits until that token has been refilled,
/// so waiting requests start in order, one per `1 / qps` seconds.
#[derive(Debug)]
struct TokenBucket {
    rate: RequestRate,
    tokens: f64,
    updated: Instant,
}

impl TokenBucket {
    fn full(rate: RequestRate, now: Instant) -> Self {
        TokenBucket {
            rate,
            tokens: f64::from(rate.burst),
            updated: now,
        }
    }

    /// Takes one token and returns when the request may start.
    fn reserve(&mut self, now: Instant) -> Instant {
        let elapsed = now.saturating_duration_since(self.updated).as_secs_f64();
        self.tokens = (self.tokens + elapsed * self.rate.qps).min(f64::from(self.rate.burst));
        self.updated = now;
        self.tokens -= 1.0;
        if self.tokens >= 0.0 {
            now
        } else {
            now + Duration::from_secs_f64(-self.tokens / self.rate.qps)
        }
    }
}

/// The layer that limits a service's requests to a [`RequestRate`].
#[derive(Clone, Copy, Debug)]
pub struct RequestLimitLayer {
    rate: RequestRate,
}

impl RequestLimitLayer {
    /// A layer whose services start at most `rate` requests; each service it
    /// builds has its own bucket, full at first.
    pub fn new(rate: RequestRate) -> Self {
        RequestLimitLayer { rate }
    }
}

impl<S> Layer<S> for RequestLimitLayer {
    type Service = RequestLimit<S>;

    fn layer(&self, inner: S) -> Self::Service {
        RequestLimit {
            inner,
            bucket: TokenBucket::full(self.rate, Instant::now()),
            state: Permit::None,
        }
    }
}

/// Where a service is in taking its next request's token.
#[derive(Debug)]
enum Permit {
    /// No token taken yet.
    None,
    /// A token is reserved; the request may start when the timer fires.
    Waiting(Pin<Box<Sleep>>),
    /// The token is the next request's.
    Granted,
}

/// A service that takes a token in `poll_ready`, before its inner service
/// is asked, so a request waits for its token before anything is sent.
#[derive(Debug)]
pub struct RequestLimit<S> {
    inner: S,
    bucket: TokenBucket,
    state: Permit,
}

impl<S, Request> Service<Request> for RequestLimit<S>
where
    S: Service<Request>,
{
    type Response = S::Response;
    type Error = S::Error;
    type Future = S::Future;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        loop {
            match &mut self.state {
                Permit::None => {
                    let now = Instant::now();
                    let start = self.bucket.reserve(now);
                    self.state = if start <= now {
                        Permit::Granted
                    } else {
                        Permit::Waiting(Box::pin(tokio::time::sleep_until(start)))
                    };
                }
                Permit::Waiting(sleep) => {
                    ready!(sleep.as_mut().poll(cx));
                    self.state = Permit::Granted;
                }
                Permit::Granted => return self.inner.poll_ready(cx),
            }
        }
    }

    fn call(&mut self, request: Request) -> Self::Future {
        // The token is spent: the next request takes its own.
        self.state = Permit::None;
        self.inner.call(request)
    }
}

#[cfg(test)]
mod tests {
    use std::convert::Infallible;
    use std::future::Ready;
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};

    use tower::ServiceExt;

    use super::*;

    /// Counts the requests that reach it.
    fn counting(
        count: Arc<AtomicUsize>,
    ) -> impl Service<(), Response = (), Error = Infallible, Future = Ready<Result<(), Infallible>>>
    + Send
    + 'static {
        tower::service_fn(move |()| {
            count.fetch_add(1, Ordering::SeqCst);
            std::future::ready(Ok(()))
        })
    }

    /// Lets every task that can run do so, without moving the paused clock.
    async fn settle() {
        for _ in 0..10 {
            tokio::task::yield_now().await;
        }
    }

    /// Sends `calls` requests one after another through a limited service,
    /// as kube's client does through its buffer, and returns the counter.
    fn send(rate: RequestRate, calls: usize) -> Arc<AtomicUsize> {
        let count = Arc::new(AtomicUsize::new(0));
        let mut service = RequestLimitLayer::new(rate).layer(counting(count.clone()));
        tokio::spawn(async move {
            for _ in 0..calls {
                let ready = service.ready().await.expect("the counter never fails");
                ready.call(()).await.expect("the counter never fails");
            }
        });
        count
    }

    #[tokio::test(start_paused = true)]
    async fn a_burst_goes_at_once_and_the_rest_at_qps() {
        let count = send(RequestRate { qps: 2.0, burst: 3 }, 10);
        settle().await;
        assert_eq!(count.load(Ordering::SeqCst), 3, "the burst");
        // One more every half second.
        for expected in 4..=10 {
            tokio::time::advance(Duration::from_millis(500)).await;
            settle().await;
            assert_eq!(count.load(Ordering::SeqCst), expected);
        }
        tokio::time::advance(Duration::from_secs(10)).await;
        settle().await;
        assert_eq!(count.load(Ordering::SeqCst), 10, "nothing more was sent");
    }

    #[tokio::test(start_paused = true)]
    async fn a_token_is_not_granted_before_it_is_refilled() {
        let count = send(RequestRate { qps: 1.0, burst: 1 }, 3);
        settle().await;
        assert_eq!(count.load(Ordering::SeqCst), 1);
        tokio::time::advance(Duration::from_millis(999)).await;
        settle().await;
        assert_eq!(
            count.load(Ordering::SeqCst),
            1,
            "the second token is not back yet"
        );
        tokio::time::advance(Duration::from_millis(1)).await;
        settle().await;
        assert_eq!(count.load(Ordering::SeqCst), 2);
    }

    #[tokio::test(start_paused = true)]
    async fn an_idle_bucket_refills_up_to_the_burst_only() {
        let count = Arc::new(AtomicUsize::new(0));
        let mut service = RequestLimitLayer::new(RequestRate { qps: 5.0, burst: 4 })
            .layer(counting(count.clone()));
        // A long pause refills the bucket to its size, not beyond.
        tokio::time::advance(Duration::from_secs(60)).await;
        let sender = tokio::spawn(async move {
            for _ in 0..6 {
                let ready = service.ready().await.expect("the counter never fails");
                ready.call(()).await.expect("the counter never fails");
            }
        });
        settle().await;
        assert_eq!(count.load(Ordering::SeqCst), 4);
        tokio::time::advance(Duration::from_millis(200)).await;
        settle().await;
        assert_eq!(count.load(Ordering::SeqCst), 5);
        tokio::time::advance(Duration::from_millis(200)).await;
        sender.await.expect("the sender finishes");
        assert_eq!(count.load(Ordering::SeqCst), 6);
    }

    #[test]
    fn reserving_spaces_waiting_requests_by_one_over_qps() {
        let now = Instant::now();
        let mut bucket = TokenBucket::full(RequestRate { qps: 4.0, burst: 2 }, now);
        let starts: Vec<Duration> = (0..5).map(|_| bucket.reserve(now) - now).collect();
        assert_eq!(
            starts,
            [0, 0, 250, 500, 750].map(Duration::from_millis).to_vec()
        );
    }
}
