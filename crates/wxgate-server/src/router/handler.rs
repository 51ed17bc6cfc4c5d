//! The `Handler` trait: implemented for async functions of up to six extractor arguments.

use std::future::Future;
use std::marker::PhantomData;
use std::pin::Pin;
use std::sync::Arc;

use super::extract::FromContext;
use super::reply::{HandlerError, IntoReply};
use crate::answer::Outcome;
use crate::context::Context;

/// A started handler: resolves to the reply (or none) or an error.
pub(crate) type HandlerFuture = Pin<Box<dyn Future<Output = Result<Outcome, HandlerError>> + Send>>;

/// An async function usable as a route. `Args` is the tuple of its extractor types.
pub trait Handler<Args>: Clone + Send + Sync + 'static {
    /// Extracts the arguments and starts the function; `None` when an extractor finds nothing.
    fn call(&self, ctx: &Arc<Context>) -> Option<HandlerFuture>;
}

macro_rules! impl_handler {
    ($($arg:ident),*) => {
        impl<F, Fut, R, $($arg,)*> Handler<($($arg,)*)> for F
        where
            F: Fn($($arg),*) -> Fut + Clone + Send + Sync + 'static,
            Fut: Future<Output = R> + Send + 'static,
            R: IntoReply,
            $($arg: FromContext,)*
        {
            #[allow(non_snake_case, unused_variables)]
            fn call(&self, ctx: &Arc<Context>) -> Option<HandlerFuture> {
                $(let $arg = $arg::from_context(ctx)?;)*
                let fut = (self)($($arg),*);
                Some(Box::pin(async move { fut.await.into_reply() }))
            }
        }
    };
}

impl_handler!();
impl_handler!(A1);
impl_handler!(A1, A2);
impl_handler!(A1, A2, A3);
impl_handler!(A1, A2, A3, A4);
impl_handler!(A1, A2, A3, A4, A5);
impl_handler!(A1, A2, A3, A4, A5, A6);

trait ErasedHandler: Send + Sync {
    fn call(&self, ctx: &Arc<Context>) -> Option<HandlerFuture>;
}

struct Erased<H, A> {
    handler: H,
    _args: PhantomData<fn() -> A>,
}

impl<H: Handler<A>, A: 'static> ErasedHandler for Erased<H, A> {
    fn call(&self, ctx: &Arc<Context>) -> Option<HandlerFuture> {
        self.handler.call(ctx)
    }
}

/// A type-erased handler.
#[derive(Clone)]
pub(crate) struct BoxedHandler(Arc<dyn ErasedHandler>);

impl BoxedHandler {
    /// Erases a handler's argument types.
    pub(crate) fn new<H: Handler<A>, A: 'static>(handler: H) -> Self {
        BoxedHandler(Arc::new(Erased { handler, _args: PhantomData }))
    }

    /// Extracts and starts.
    pub(crate) fn call(&self, ctx: &Arc<Context>) -> Option<HandlerFuture> {
        self.0.call(ctx)
    }
}
