//! The router for Rust users: plain async functions with extractors, chosen by what the push is.
//!
//! ```no_run
//! use wxgate_server::router::{OpenId, Router, Text};
//!
//! async fn hello(Text(t): Text, OpenId(user): OpenId) -> String {
//!     format!("{user} said {t}")
//! }
//! let router = Router::new().on_keyword("ping", || async { "pong" }).on_text(hello);
//! ```
//!
//! Routes are tried in the order they were added; a route applies when its [`Match`] holds and every extractor
//! of its handler finds its value (a handler taking [`Text`] never sees an image). A handler returns anything that
//! is [`IntoReply`]: `()` or an empty string means "no reply" (`success`), a `String` is a text reply, a
//! [`ReplyBody`](wxgate_proto::ReplyBody) any reply; an `Err` is logged and answered `success`.

mod extract;
mod handler;
mod reply;

use std::sync::Arc;

use axum::http::Extensions;
use regex::Regex;
use wxgate_proto::Inbound;

pub use extract::{Account, Cloud, Ctx, Extension, FromContext, Message, OpenId, Text};
pub use handler::{BoxedHandler, Handler, HandlerFuture};
pub use reply::{HandlerError, IntoReply};

use crate::context::Context;

/// When a route applies.
#[derive(Clone)]
pub enum Match {
    /// Every push.
    Any,
    /// `MsgType` equal to this.
    MsgType(String),
    /// Text equal to this keyword (trimmed).
    Keyword(String),
    /// Text matching this expression.
    Regex(Regex),
    /// `Event` equal to this name.
    Event(String),
    /// `Event` and `EventKey` equal to these.
    EventKey(String, String),
    /// Any predicate.
    Custom(Arc<dyn Fn(&Inbound) -> bool + Send + Sync>),
}

impl std::fmt::Debug for Match {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Match::Any => write!(f, "Any"),
            Match::MsgType(t) => write!(f, "MsgType({t:?})"),
            Match::Keyword(k) => write!(f, "Keyword({k:?})"),
            Match::Regex(r) => write!(f, "Regex({:?})", r.as_str()),
            Match::Event(e) => write!(f, "Event({e:?})"),
            Match::EventKey(e, k) => write!(f, "EventKey({e:?}, {k:?})"),
            Match::Custom(_) => write!(f, "Custom(..)"),
        }
    }
}

impl Match {
    /// True when the push satisfies the match.
    pub fn holds(&self, inbound: &Inbound) -> bool {
        match self {
            Match::Any => true,
            Match::MsgType(t) => inbound.msg_type == *t,
            Match::Keyword(k) => inbound.text().is_some_and(|t| t.trim() == k),
            Match::Regex(r) => inbound.text().is_some_and(|t| r.is_match(t)),
            Match::Event(e) => inbound.event_name() == Some(e),
            Match::EventKey(e, k) => inbound.event_name() == Some(e) && inbound.event_key() == Some(k),
            Match::Custom(f) => f(inbound),
        }
    }
}

/// Routes from pushes to handlers, plus shared values for the [`Extension`] extractor.
#[derive(Clone, Default)]
pub struct Router {
    routes: Vec<(Match, BoxedHandler)>,
    extensions: Extensions,
}

impl std::fmt::Debug for Router {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Router").field("routes", &self.routes.iter().map(|(m, _)| m).collect::<Vec<_>>()).finish()
    }
}

impl Router {
    /// An empty router: every push is answered by config rules or `success`.
    pub fn new() -> Self {
        Router::default()
    }

    /// Adds a route.
    pub fn route<H, A>(mut self, when: Match, handler: H) -> Self
    where
        H: Handler<A>,
        A: 'static,
    {
        self.routes.push((when, BoxedHandler::new(handler)));
        self
    }

    /// Text equal to `keyword`.
    pub fn on_keyword<H: Handler<A>, A: 'static>(self, keyword: &str, handler: H) -> Self {
        self.route(Match::Keyword(keyword.trim().to_owned()), handler)
    }

    /// Any text message.
    pub fn on_text<H: Handler<A>, A: 'static>(self, handler: H) -> Self {
        self.route(Match::MsgType("text".into()), handler)
    }

    /// A message type (`image`, `voice`, …).
    pub fn on_msg_type<H: Handler<A>, A: 'static>(self, msg_type: &str, handler: H) -> Self {
        self.route(Match::MsgType(msg_type.into()), handler)
    }

    /// An event by name (`subscribe`, `SCAN`, …).
    pub fn on_event<H: Handler<A>, A: 'static>(self, event: &str, handler: H) -> Self {
        self.route(Match::Event(event.into()), handler)
    }

    /// A click menu button by key.
    pub fn on_click<H: Handler<A>, A: 'static>(self, key: &str, handler: H) -> Self {
        self.route(Match::EventKey("CLICK".into(), key.into()), handler)
    }

    /// Anything no earlier route took.
    pub fn fallback<H: Handler<A>, A: 'static>(self, handler: H) -> Self {
        self.route(Match::Any, handler)
    }

    /// Registers a value for the [`Extension`] extractor (a database pool, a client, …).
    pub fn extension<T: Clone + Send + Sync + 'static>(mut self, value: T) -> Self {
        self.extensions.insert(value);
        self
    }

    /// The shared extensions.
    pub(crate) fn extensions(&self) -> Extensions {
        self.extensions.clone()
    }

    /// The first route that applies, started; `None` when none applies.
    pub fn dispatch(&self, ctx: &Arc<Context>) -> Option<HandlerFuture> {
        self.routes.iter().filter(|(m, _)| m.holds(&ctx.inbound)).find_map(|(_, h)| h.call(ctx))
    }
}
