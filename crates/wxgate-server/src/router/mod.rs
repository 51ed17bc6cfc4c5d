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
//! [`ReplyBody`](wxgate_proto::ReplyBody) any reply of a passive type (given passively where the account may),
//! [`Messages`](crate::Messages) or a `Vec` of [`KfBody`](wxgate_proto::kf::KfBody) customer-service messages
//! sent in order (`link`, `miniprogrampage`, `msgmenu`, … and several for one push); an `Err` is logged and
//! answered `success`.

mod extract;
mod handler;
mod reply;

use std::sync::Arc;

use axum::http::Extensions;

pub use extract::{Account, Cloud, Ctx, Extension, FromContext, Message, OpenId, Text};
use handler::BoxedHandler;
pub use handler::Handler;
pub(crate) use handler::HandlerFuture;
pub use reply::{HandlerError, IntoReply};

use crate::context::Context;
pub use crate::matcher::Match;

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
        self.route(Match::click(key), handler)
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
    pub(crate) fn dispatch(&self, ctx: &Arc<Context>) -> Option<HandlerFuture> {
        self.routes.iter().filter(|(m, _)| m.holds(&ctx.inbound)).find_map(|(_, h)| h.call(ctx))
    }
}
