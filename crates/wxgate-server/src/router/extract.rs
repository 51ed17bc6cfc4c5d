//! Extractors: what a handler can ask for. Each returns `None` when the push does not carry it, in which case the
//! route does not apply and the next one is tried.

use std::sync::Arc;

use wxgate_proto::{Event, Inbound, InboundKind};

use crate::context::{CloudInfo, Context};

/// Something a handler argument can be built from.
pub trait FromContext: Sized + Send + 'static {
    /// The value, or `None` when this push does not carry it.
    fn from_context(ctx: &Arc<Context>) -> Option<Self>;
}

/// The whole context.
#[derive(Debug, Clone)]
pub struct Ctx(pub Arc<Context>);

/// The decoded push.
#[derive(Debug, Clone)]
pub struct Message(pub Inbound);

/// The content of a text message (only text messages).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Text(pub String);

/// The sender's openid.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpenId(pub String);

/// The account the push was sent to.
#[derive(Debug, Clone)]
pub struct Account(pub Arc<crate::account::Account>);

/// The Cloud Hosting headers (only Cloud Hosting pushes).
#[derive(Debug, Clone)]
pub struct Cloud(pub CloudInfo);

/// A value registered with [`crate::Router::extension`].
#[derive(Debug, Clone)]
pub struct Extension<T>(pub T);

impl FromContext for Ctx {
    fn from_context(ctx: &Arc<Context>) -> Option<Self> {
        Some(Ctx(ctx.clone()))
    }
}

impl FromContext for Message {
    fn from_context(ctx: &Arc<Context>) -> Option<Self> {
        Some(Message(ctx.inbound.clone()))
    }
}

impl FromContext for Text {
    fn from_context(ctx: &Arc<Context>) -> Option<Self> {
        ctx.inbound.text().map(|t| Text(t.to_owned()))
    }
}

impl FromContext for OpenId {
    fn from_context(ctx: &Arc<Context>) -> Option<Self> {
        Some(OpenId(ctx.inbound.from_user.clone()))
    }
}

impl FromContext for Account {
    fn from_context(ctx: &Arc<Context>) -> Option<Self> {
        Some(Account(ctx.account.clone()))
    }
}

impl FromContext for Cloud {
    fn from_context(ctx: &Arc<Context>) -> Option<Self> {
        ctx.cloud.clone().map(Cloud)
    }
}

impl FromContext for Event {
    fn from_context(ctx: &Arc<Context>) -> Option<Self> {
        match &ctx.inbound.kind {
            InboundKind::Event(e) => Some(e.clone()),
            _ => None,
        }
    }
}

impl<T: Clone + Send + Sync + 'static> FromContext for Extension<T> {
    fn from_context(ctx: &Arc<Context>) -> Option<Self> {
        ctx.extension::<T>().cloned().map(Extension)
    }
}

impl<T: FromContext> FromContext for Option<T> {
    fn from_context(ctx: &Arc<Context>) -> Option<Self> {
        Some(T::from_context(ctx))
    }
}
