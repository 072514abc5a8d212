//! The live stream: an `EventSource` opened with a single-use ticket (the visitor token never
//! goes in a URL). Dropping a [`Live`] closes its stream and frees its callbacks.

use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::{EventSource, MessageEvent};

type Handler = Closure<dyn FnMut(web_sys::Event)>;

/// An open stream and its callbacks.
pub struct Live {
    source: EventSource,
    _on_message: Handler,
    _on_open: Handler,
    _on_error: Handler,
}

impl Live {
    /// Opens `url`; `on_message` gets each `message` event's data, `on_open` fires when the
    /// stream is connected, `on_error` when it dropped (the stream is closed by then).
    pub fn open(
        url: &str,
        on_message: impl FnMut(String) + 'static,
        on_open: impl FnMut() + 'static,
        on_error: impl FnMut() + 'static,
    ) -> Result<Live, JsValue> {
        let source = EventSource::new(url)?;
        let mut on_message = on_message;
        let msg = Handler::new(move |e: web_sys::Event| {
            if let Some(data) = e.unchecked_ref::<MessageEvent>().data().as_string() {
                on_message(data);
            }
        });
        source.add_event_listener_with_callback("message", msg.as_ref().unchecked_ref())?;
        let mut on_open = on_open;
        let open = Handler::new(move |_: web_sys::Event| on_open());
        source.set_onopen(Some(open.as_ref().unchecked_ref()));
        let mut on_error = on_error;
        let closer = source.clone();
        let err = Handler::new(move |_: web_sys::Event| {
            // Tickets are single use: the browser's own retry cannot succeed, so stop it and
            // let the widget reconnect with a new ticket.
            closer.close();
            on_error();
        });
        source.set_onerror(Some(err.as_ref().unchecked_ref()));
        Ok(Live {
            source,
            _on_message: msg,
            _on_open: open,
            _on_error: err,
        })
    }
}

impl Drop for Live {
    fn drop(&mut self) {
        self.source.set_onerror(None);
        self.source.set_onopen(None);
        self.source.close();
    }
}
