//! A loss-free tree of the fields of a push body, decoded from XML or JSON.
//!
//! WeChat adds fields over time and sends the same message as XML (classic callback) or JSON (Cloud Hosting,
//! Mini Program JSON mode), where a nested list may be repeated elements, an `<item>` wrapper, a JSON array or a
//! single JSON object. Decoding first into this tree keeps every field (known or not, in order) and gives the
//! typed model one set of accessors for both formats.
//!
//! Whitespace-only text is formatting, not data. A leaf holding only whitespace reads as empty (pretty-printed
//! pushes), and whitespace-only text beside CDATA is dropped, so `<MsgType> <![CDATA[event]]> </MsgType>` (as
//! printed in samples of card events, sometimes on separate lines) reads as `event`. The content of a CDATA section
//! is never trimmed, and any other text beside CDATA (a word, a reference) is kept, concatenated in document order.
//! Whitespace beside CDATA means XML's whitespace: space, tab, carriage return and line feed.
//!
//! The XML reader is hardened: a `<!DOCTYPE …>` is refused outright (so no entity declaration can ever be
//! expanded), only the five predefined entities and character references are resolved, and nesting is capped.

use std::borrow::Cow;

use quick_xml::Reader;
use quick_xml::events::Event as XmlEvent;

use crate::ProtoError;

/// Deepest element nesting accepted; WeChat pushes nest at most four levels.
pub const MAX_XML_DEPTH: usize = 32;

/// One field value.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// A leaf: text, CDATA or a JSON scalar rendered as text (numbers keep every digit).
    Text(String),
    /// A nested element / JSON object.
    Map(Fields),
    /// A JSON array.
    List(Vec<Value>),
}

impl Value {
    /// The text of a leaf, `None` for a map or list.
    pub fn as_text(&self) -> Option<&str> {
        match self {
            Value::Text(t) => Some(t),
            _ => None,
        }
    }

    /// The fields of a nested element / object.
    pub fn as_map(&self) -> Option<&Fields> {
        match self {
            Value::Map(m) => Some(m),
            _ => None,
        }
    }

    /// Converts to a JSON value (leaves become strings).
    pub fn to_json(&self) -> serde_json::Value {
        match self {
            Value::Text(t) => serde_json::Value::String(t.clone()),
            Value::Map(m) => m.to_json(),
            Value::List(items) => serde_json::Value::Array(items.iter().map(Value::to_json).collect()),
        }
    }
}

/// A field name: WeChat's own names are shared static strings (decoding a push allocates none for them), any
/// other name is owned.
pub type Name = Cow<'static, str>;

/// The ordered fields of one element or object; names may repeat (XML lists of repeated elements).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Fields {
    entries: Vec<(Name, Value)>,
}

impl Fields {
    /// An empty set of fields.
    pub fn new() -> Self {
        Fields::default()
    }

    /// Appends a field (keeping any earlier field of the same name).
    pub fn push(&mut self, name: impl Into<Name>, value: Value) {
        self.entries.push((name.into(), value));
    }

    /// Appends a text field; handy for building pushes.
    pub fn with_text(mut self, name: impl Into<Name>, text: impl Into<String>) -> Self {
        self.push(name, Value::Text(text.into()));
        self
    }

    /// Appends a nested field.
    pub fn with_map(mut self, name: impl Into<Name>, fields: Fields) -> Self {
        self.push(name, Value::Map(fields));
        self
    }

    /// Replaces the first field of that name, or appends it.
    pub fn set_text(&mut self, name: &str, text: impl Into<String>) {
        match self.entries.iter_mut().find(|(k, _)| k == name) {
            Some((_, v)) => *v = Value::Text(text.into()),
            None => self.push(intern(name), Value::Text(text.into())),
        }
    }

    /// Removes every field of that name.
    pub fn remove(&mut self, name: &str) {
        self.entries.retain(|(k, _)| k != name);
    }

    /// All fields in document order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &Value)> {
        self.entries.iter().map(|(k, v)| (k.as_ref(), v))
    }

    /// Number of fields.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// True when there are no fields.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The first field of that name.
    pub fn get(&self, name: &str) -> Option<&Value> {
        self.entries.iter().find(|(k, _)| k == name).map(|(_, v)| v)
    }

    /// The text of the first field of that name, if it is a leaf; of a list (a JSON array), its first item's.
    /// So a field that repeats in XML (the first wins) and the array JSON makes of it read alike.
    pub fn text(&self, name: &str) -> Option<&str> {
        match self.get(name)? {
            Value::List(items) => items.first().and_then(Value::as_text),
            value => value.as_text(),
        }
    }

    /// The text of the field, `None` when absent or empty.
    pub fn non_empty(&self, name: &str) -> Option<&str> {
        self.text(name).filter(|t| !t.is_empty())
    }

    /// The text of the field as an owned string, `None` when absent or empty.
    pub fn string(&self, name: &str) -> Option<String> {
        self.non_empty(name).map(str::to_owned)
    }

    /// The nested fields of the first field of that name.
    pub fn map(&self, name: &str) -> Option<&Fields> {
        self.get(name).and_then(Value::as_map)
    }

    /// Parses the field as a number; absent or empty → `Ok(None)`, garbage → error.
    pub fn number<T: std::str::FromStr>(&self, name: &'static str) -> Result<Option<T>, ProtoError> {
        match self.non_empty(name).map(str::trim) {
            None => Ok(None),
            Some(t) => t
                .parse()
                .map(Some)
                .map_err(|_| ProtoError::InvalidField { field: name, value: crate::error::excerpt(t.as_bytes()) }),
        }
    }

    /// Every element of a list field, whatever its shape on the wire:
    /// repeated elements (`<List>…</List><List>…</List>`), an `<item>` wrapper (`<PicList><item>…</item></PicList>`),
    /// a JSON array, or a single JSON object.
    pub fn items(&self, name: &str) -> Vec<&Value> {
        let mut out = Vec::new();
        for (k, v) in &self.entries {
            if k != name {
                continue;
            }
            match v {
                Value::List(items) => out.extend(items.iter()),
                Value::Map(m) if !m.is_empty() && m.entries.iter().all(|(k, _)| k == "item") => {
                    for (_, item) in &m.entries {
                        match item {
                            Value::List(inner) => out.extend(inner.iter()),
                            other => out.push(other),
                        }
                    }
                }
                Value::Map(m) if m.is_empty() => {}
                Value::Map(m) if m.get("item").is_some() && m.entries.len() == 1 => out.push(v),
                other => out.push(other),
            }
        }
        out
    }

    /// Converts to a JSON object (leaves become strings).
    pub fn to_json(&self) -> serde_json::Value {
        let mut obj = serde_json::Map::new();
        for (k, v) in &self.entries {
            match obj.get_mut(k.as_ref()) {
                Some(serde_json::Value::Array(arr)) if matches!(v, Value::Map(_)) => arr.push(v.to_json()),
                Some(existing) => {
                    let first = existing.take();
                    *existing = serde_json::Value::Array(vec![first, v.to_json()]);
                }
                None => {
                    obj.insert(k.to_string(), v.to_json());
                }
            }
        }
        serde_json::Value::Object(obj)
    }
}

/// Decodes an XML body (`<xml>…</xml>`) into the fields of its root element.
pub fn from_xml(body: &[u8]) -> Result<Fields, ProtoError> {
    let text = std::str::from_utf8(body).map_err(|_| ProtoError::NotUtf8)?;
    let mut reader = Reader::from_str(text);
    reader.config_mut().check_end_names = true;

    // Stack of open elements, each collecting its fields and character data.
    let mut stack: Vec<Frame> = Vec::new();
    let mut root: Option<Fields> = None;
    loop {
        let event = reader.read_event().map_err(|e| ProtoError::malformed_xml(e, body))?;
        match event {
            XmlEvent::DocType(_) => return Err(ProtoError::XmlDtdRefused),
            XmlEvent::Start(start) => {
                if root.is_some() {
                    return Err(ProtoError::malformed_xml("content after the root element", body));
                }
                if stack.len() >= MAX_XML_DEPTH {
                    return Err(ProtoError::XmlTooDeep(MAX_XML_DEPTH));
                }
                let name = decode_name(start.name().as_ref(), text, body)?;
                stack.push(Frame::new(name));
            }
            XmlEvent::Empty(start) => {
                let name = decode_name(start.name().as_ref(), text, body)?;
                match stack.last_mut() {
                    Some(parent) => parent.fields.push(name, Value::Text(String::new())),
                    None if root.is_none() => root = Some(Fields::new()),
                    None => {
                        return Err(ProtoError::malformed_xml("content after the root element", body));
                    }
                }
            }
            XmlEvent::End(_) => {
                let frame = stack.pop().ok_or_else(|| ProtoError::malformed_xml("unmatched end tag", body))?;
                let (name, value) = frame.finish();
                match stack.last_mut() {
                    Some(parent) => parent.fields.push(name, value),
                    None => {
                        root = Some(match value {
                            Value::Map(m) => m,
                            _ => Fields::new(),
                        })
                    }
                }
            }
            XmlEvent::Text(t) => {
                let s = match in_body(text, &t) {
                    Some(s) => Cow::Borrowed(s),
                    None => t.decode().map_err(|e| ProtoError::malformed_xml(e, body))?,
                };
                match stack.last_mut() {
                    Some(frame) => frame.text(&s, Piece::Text),
                    None if s.trim().is_empty() => {}
                    None => {
                        return Err(ProtoError::malformed_xml("text outside the root element", body));
                    }
                }
            }
            XmlEvent::CData(c) => {
                let s = match in_body(text, &c) {
                    Some(s) => Cow::Borrowed(s),
                    None => c.decode().map_err(|e| ProtoError::malformed_xml(e, body))?,
                };
                match stack.last_mut() {
                    Some(frame) => frame.text(&s, Piece::Cdata),
                    None => {
                        return Err(ProtoError::malformed_xml("CDATA outside the root element", body));
                    }
                }
            }
            XmlEvent::GeneralRef(r) => {
                let resolved: String = match r.resolve_char_ref().map_err(|e| ProtoError::malformed_xml(e, body))? {
                    Some(ch) => ch.to_string(),
                    None => {
                        let name = r.decode().map_err(|e| ProtoError::malformed_xml(e, body))?;
                        match quick_xml::escape::resolve_predefined_entity(&name) {
                            Some(s) => s.to_string(),
                            None => {
                                return Err(ProtoError::malformed_xml(format!("unknown entity &{name};"), body));
                            }
                        }
                    }
                };
                match stack.last_mut() {
                    Some(frame) => frame.text(&resolved, Piece::Reference),
                    None => {
                        return Err(ProtoError::malformed_xml("reference outside the root element", body));
                    }
                }
            }
            XmlEvent::Decl(_) | XmlEvent::PI(_) | XmlEvent::Comment(_) => {}
            XmlEvent::Eof => break,
        }
    }
    if !stack.is_empty() {
        return Err(ProtoError::malformed_xml("unexpected end of document", body));
    }
    root.ok_or_else(|| ProtoError::malformed_xml("no root element", body))
}

fn decode_name(raw: &[u8], text: &str, body: &[u8]) -> Result<Name, ProtoError> {
    if let Some(name) = in_body(text, raw) {
        return Ok(intern(name));
    }
    std::str::from_utf8(raw).map(intern).map_err(|_| ProtoError::malformed_xml("element name is not UTF-8", body))
}

/// `part` as the `&str` it is within `whole`, when it is a slice of `whole`'s own bytes on character boundaries:
/// the reader's events point into the body, which was checked to be UTF-8 once, so its names and text need not be
/// checked again, one by one. `None` otherwise (the caller then converts and checks it itself).
fn in_body<'a>(whole: &'a str, part: &[u8]) -> Option<&'a str> {
    let start = (part.as_ptr() as usize).checked_sub(whole.as_ptr() as usize)?;
    whole.get(start..start.checked_add(part.len())?)
}

/// Declares [`known`] over a list of names: a `match`, which the compiler turns into a dispatch on length and
/// bytes (no scan over the list).
macro_rules! known_names {
    ($($name:literal),* $(,)?) => {
        /// The shared copy of one of WeChat's field names (those of the messages and events it pushes).
        fn known(name: &str) -> Option<&'static str> {
            match name {
                $($name => Some($name),)*
                _ => None,
            }
        }
    };
}

known_names!(
    "xml",
    "ToUserName",
    "FromUserName",
    "CreateTime",
    "MsgType",
    "Content",
    "MsgId",
    "MsgID",
    "MsgDataId",
    "Idx",
    "PicUrl",
    "MediaId",
    "Format",
    "Recognition",
    "ThumbMediaId",
    "Location_X",
    "Location_Y",
    "Scale",
    "Label",
    "Title",
    "Description",
    "Url",
    "AppId",
    "PagePath",
    "ThumbUrl",
    "Event",
    "EventKey",
    "Ticket",
    "Latitude",
    "Longitude",
    "Precision",
    "Encrypt",
    "MenuId",
    "ScanCodeInfo",
    "ScanType",
    "ScanResult",
    "SendPicsInfo",
    "Count",
    "PicList",
    "item",
    "PicMd5Sum",
    "SendLocationInfo",
    "Poiname",
    "Status",
    "TotalCount",
    "FilterCount",
    "SentCount",
    "ErrorCount",
    "CopyrightCheckResult",
    "ResultList",
    "ArticleIdx",
    "UserDeclareState",
    "AuditState",
    "OriginalArticleUrl",
    "OriginalArticleType",
    "CanReprint",
    "NeedReplaceContent",
    "NeedShowReprintSource",
    "CheckState",
    "ArticleUrlResult",
    "ArticleUrl",
    "bizmsgmenuid",
    "SessionFrom",
);

/// `name` as a [`Name`]: shared when it is one of WeChat's, owned otherwise (an owned `String` is kept as it is).
fn intern(name: impl AsRef<str> + Into<String>) -> Name {
    match known(name.as_ref()) {
        Some(known) => Cow::Borrowed(known),
        None => Cow::Owned(name.into()),
    }
}

/// Where a piece of an element's character data came from.
#[derive(Clone, Copy)]
enum Piece {
    /// Plain text between tags.
    Text,
    /// The content of a CDATA section.
    Cdata,
    /// A resolved entity or character reference.
    Reference,
}

/// An open element: its fields and its character data, with what is needed to decide which whitespace counts.
struct Frame {
    name: Name,
    fields: Fields,
    /// All character data in document order.
    text: String,
    /// Byte ranges of `text` that came from whitespace-only text nodes.
    blanks: Vec<std::ops::Range<usize>>,
    /// A CDATA section was seen.
    cdata: bool,
    /// A reference or a text node that is not whitespace-only was seen (text that is data, beside any CDATA).
    loose: bool,
    /// A reference was seen (whitespace it produces is deliberate).
    reference: bool,
}

impl Frame {
    fn new(name: Name) -> Self {
        Frame {
            name,
            fields: Fields::new(),
            text: String::new(),
            blanks: Vec::new(),
            cdata: false,
            loose: false,
            reference: false,
        }
    }

    fn text(&mut self, s: &str, piece: Piece) {
        if !self.fields.is_empty() {
            // An element with child elements is a map; its own character data (indentation) is never read.
            return;
        }
        match piece {
            Piece::Text if is_xml_blank(s) => {
                let start = self.text.len();
                self.text.push_str(s);
                self.blanks.push(start..self.text.len());
                return;
            }
            Piece::Text => self.loose = true,
            Piece::Cdata => self.cdata = true,
            Piece::Reference => {
                self.loose = true;
                self.reference = true;
            }
        }
        self.text.push_str(s);
    }

    fn finish(self) -> (Name, Value) {
        if !self.fields.is_empty() {
            return (self.name, Value::Map(self.fields));
        }
        let text = if self.cdata && !self.loose {
            // CDATA with at most whitespace-only text beside it: the CDATA content exactly.
            without(self.text, &self.blanks)
        } else if self.cdata || self.reference || !self.text.trim().is_empty() {
            self.text
        } else {
            String::new()
        };
        (self.name, Value::Text(clean(text)))
    }
}

/// `text` without the characters XML 1.0 forbids (a push may carry them raw in CDATA or as JSON escapes). The
/// tree never holds them, so what a push means is decided on the text every writer will write: a push read back
/// from its stored form is the push that was accepted.
fn clean(text: String) -> String {
    match crate::xml_chars::xml_clean(&text) {
        std::borrow::Cow::Borrowed(_) => text,
        std::borrow::Cow::Owned(clean) => clean,
    }
}

/// True when `s` is only XML whitespace (space, tab, carriage return, line feed).
fn is_xml_blank(s: &str) -> bool {
    s.bytes().all(|b| matches!(b, b' ' | b'\t' | b'\r' | b'\n'))
}

/// `text` with the given ascending, non-overlapping byte ranges removed.
fn without(text: String, ranges: &[std::ops::Range<usize>]) -> String {
    if ranges.is_empty() {
        return text;
    }
    let mut out = String::with_capacity(text.len());
    let mut at = 0;
    for range in ranges {
        out.push_str(&text[at..range.start]);
        at = range.end;
    }
    out.push_str(&text[at..]);
    out
}

/// Decodes a JSON object body into fields; numbers keep every digit (a `MsgId` beyond 2^53 survives).
/// A leading UTF-8 BOM is skipped, as [`crate::Format::sniff`] and the XML reader do.
pub fn from_json(body: &[u8]) -> Result<Fields, ProtoError> {
    let json = body.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(body);
    let value: serde_json::Value = serde_json::from_slice(json).map_err(|e| ProtoError::malformed_json(e, body))?;
    match value {
        serde_json::Value::Object(obj) => Ok(fields_from_json(obj)),
        _ => Err(ProtoError::JsonNotObject),
    }
}

fn fields_from_json(obj: serde_json::Map<String, serde_json::Value>) -> Fields {
    let mut fields = Fields::new();
    for (k, v) in obj {
        fields.push(intern(k), value_from_json(v));
    }
    fields
}

fn value_from_json(v: serde_json::Value) -> Value {
    match v {
        serde_json::Value::Null => Value::Text(String::new()),
        serde_json::Value::Bool(b) => Value::Text(b.to_string()),
        serde_json::Value::Number(n) => Value::Text(n.to_string()),
        serde_json::Value::String(s) => Value::Text(clean(s)),
        serde_json::Value::Array(items) => Value::List(items.into_iter().map(value_from_json).collect()),
        serde_json::Value::Object(obj) => Value::Map(fields_from_json(obj)),
    }
}

/// Decodes a body of either format.
pub fn decode(body: &[u8], format: crate::Format) -> Result<Fields, ProtoError> {
    match format {
        crate::Format::Xml => from_xml(body),
        crate::Format::Json => from_json(body),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_cdata_plain_and_nested() {
        let xml = br#"<xml><A><![CDATA[x y]]></A><B>12</B><C><D><![CDATA[in]]></D></C><E/></xml>"#;
        let f = from_xml(xml).unwrap();
        assert_eq!(f.text("A"), Some("x y"));
        assert_eq!(f.number::<u64>("B").unwrap(), Some(12));
        assert_eq!(f.map("C").unwrap().text("D"), Some("in"));
        assert_eq!(f.text("E"), Some(""));
    }

    #[test]
    fn whitespace_only_text_beside_cdata_is_formatting() {
        // Regression: `<MsgType> <![CDATA[event]]> </MsgType>` read as " event ", an unknown message type.
        let xml = "<xml>\n  <MsgType> <![CDATA[event]]> </MsgType>\n  <Event>\n    <![CDATA[user_get_card]]>\n  </Event>\n  \
                   <Tab>\t<![CDATA[t]]>\r\n</Tab><Empty> <![CDATA[]]> </Empty><Spaces> <![CDATA[   ]]> </Spaces>\n  \
                   <Split> <![CDATA[a]]]]><![CDATA[>b]]> </Split>\n</xml>";
        let f = from_xml(xml.as_bytes()).unwrap();
        assert_eq!(f.text("MsgType"), Some("event"));
        assert_eq!(f.text("Event"), Some("user_get_card"), "pretty-printed on separate lines");
        assert_eq!(f.text("Tab"), Some("t"));
        assert_eq!(f.text("Empty"), Some(""));
        assert_eq!(f.text("Spaces"), Some("   "), "CDATA content is never trimmed");
        assert_eq!(f.text("Split"), Some("a]]>b"), "a CDATA section split around `]]>` joins exactly");
    }

    #[test]
    fn cdata_content_keeps_its_own_whitespace() {
        let f = from_xml(b"<xml><Content><![CDATA[ a ]]></Content><Padded> <![CDATA[ a ]]> </Padded></xml>").unwrap();
        assert_eq!(f.text("Content"), Some(" a "));
        assert_eq!(f.text("Padded"), Some(" a "));
    }

    #[test]
    fn other_text_beside_cdata_is_concatenated() {
        let xml = "<xml><A>x <![CDATA[y]]> z</A><B> <![CDATA[y]]>&#32;</B><C>&amp; <![CDATA[y]]></C>\
                   <D> \u{3000}<![CDATA[y]]></D><E> <![CDATA[y]]> .</E></xml>";
        let f = from_xml(xml.as_bytes()).unwrap();
        assert_eq!(f.text("A"), Some("x y z"));
        assert_eq!(f.text("B"), Some(" y "), "a reference is deliberate, so the text beside it stays");
        assert_eq!(f.text("C"), Some("& y"));
        assert_eq!(f.text("D"), Some(" \u{3000}y"), "an ideographic space is not XML whitespace");
        assert_eq!(f.text("E"), Some(" y ."));
    }

    #[test]
    fn wechat_names_are_shared_and_new_ones_kept() {
        let f = from_xml(b"<xml><ToUserName>a</ToUserName><BrandNewField>b</BrandNewField></xml>").unwrap();
        assert!(matches!(f.entries[0].0, Cow::Borrowed("ToUserName")), "a known name allocates nothing");
        assert!(matches!(f.entries[1].0, Cow::Owned(ref n) if n == "BrandNewField"), "an unknown name is kept");
        let j = from_json(br#"{"MsgType":"text","BrandNewField":1}"#).unwrap();
        assert_eq!(j.iter().map(|(k, _)| k).collect::<Vec<_>>(), ["MsgType", "BrandNewField"]);
        assert!(matches!(j.entries[0].0, Cow::Borrowed(_)));
    }

    #[test]
    fn resolves_predefined_entities_only() {
        let f = from_xml(b"<xml><A>a &amp; b &#x4e2d;</A></xml>").unwrap();
        assert_eq!(f.text("A"), Some("a & b \u{4e2d}"));
        assert!(from_xml(b"<xml><A>&foo;</A></xml>").is_err());
    }

    #[test]
    fn slices_of_the_body_are_read_in_place() {
        let whole = "<xml>中文</xml>";
        let part = &whole.as_bytes()[5..11];
        assert_eq!(in_body(whole, part), Some("中文"));
        assert_eq!(in_body(whole, &whole.as_bytes()[5..7]), None, "not on a character boundary");
        let copy: Box<[u8]> = part.into();
        assert_eq!(in_body(whole, &copy), None, "a copy is not a slice of the body");
        assert_eq!(in_body(whole, "中文".as_bytes()), None, "equal bytes elsewhere are not either");
    }

    #[test]
    fn refuses_dtd() {
        let xml = br#"<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e "boom">]><xml><A>&e;</A></xml>"#;
        assert_eq!(from_xml(xml), Err(ProtoError::XmlDtdRefused));
    }

    #[test]
    fn refuses_malformed() {
        for bad in [&b"<xml><A>1</B></xml>"[..], b"<xml><A>", b"<xml></xml><xml></xml>", b"", b"<xml>\xff</xml>"] {
            assert!(from_xml(bad).is_err(), "{:?}", String::from_utf8_lossy(bad));
        }
    }

    #[test]
    fn caps_depth() {
        let deep = "<a>".repeat(40) + &"</a>".repeat(40);
        assert_eq!(from_xml(deep.as_bytes()), Err(ProtoError::XmlTooDeep(MAX_XML_DEPTH)));
    }

    #[test]
    fn lists_in_every_shape() {
        let xml = b"<xml><P><item><M>1</M></item><item><M>2</M></item></P><L><T>a</T></L><L><T>b</T></L></xml>";
        let f = from_xml(xml).unwrap();
        assert_eq!(f.items("P").len(), 2);
        assert_eq!(f.items("L").len(), 2);
        let j = from_json(br#"{"P":[{"M":1},{"M":2}],"L":{"T":"a"}}"#).unwrap();
        assert_eq!(j.items("P").len(), 2);
        assert_eq!(j.items("L").len(), 1);
    }

    #[test]
    fn json_keeps_big_integers() {
        let f = from_json(br#"{"MsgId":6054768590064713728,"CreateTime":"1610969440"}"#).unwrap();
        assert_eq!(f.number::<u64>("MsgId").unwrap(), Some(6054768590064713728));
        assert_eq!(f.number::<i64>("CreateTime").unwrap(), Some(1610969440));
        assert_eq!(from_json(b"[1]"), Err(ProtoError::JsonNotObject));
    }

    #[test]
    fn json_with_bom_decodes_like_xml_with_bom() {
        // Regression: `Format::sniff` and `from_xml` accepted a UTF-8 BOM but `from_json` refused it.
        assert_eq!(from_xml(b"\xEF\xBB\xBF<xml><A>1</A></xml>").unwrap().text("A"), Some("1"));
        assert_eq!(from_json(b"\xEF\xBB\xBF{\"A\":1}").unwrap().text("A"), Some("1"));
        assert!(from_json(b"\xEF\xBB\xBF\xEF\xBB\xBF{}").is_err());
    }
}
