//! Writing WeChat-style XML and JSON.
//!
//! WeChat's XML is a flat `<xml>` of elements whose strings are CDATA and whose numbers are bare. A CDATA section
//! cannot contain `]]>`, so that sequence is split across two sections (`]]]]><![CDATA[>`). Encoding is a simple,
//! allocation-light string builder; parsing always goes through the real XML reader in [`crate::tree`].
//!
//! Every string written is first rid of the characters XML 1.0 does not allow (the C0 controls but tab, line
//! feed and carriage return, and U+FFFE, U+FFFF; [`xml_clean`]): a user's text echoed into a reply must not make
//! the reply ill-formed, which WeChat would answer with its error notice. JSON bodies get the same treatment
//! ([`json_clean`]): WeChat refuses `\u` escapes in customer-service bodies (40033).

use std::collections::HashMap;

use crate::tree::{Fields, Value};
pub use crate::xml_chars::{is_xml_char, xml_clean};

/// Field names whose values WeChat writes as bare numbers (XML) and JSON numbers.
pub const NUMERIC_FIELDS: &[&str] = &[
    "CreateTime",
    "MsgId",
    "MsgID",
    "Location_X",
    "Location_Y",
    "Scale",
    "Latitude",
    "Longitude",
    "Precision",
    "Count",
    "TotalCount",
    "FilterCount",
    "SentCount",
    "ErrorCount",
    "ArticleCount",
    "Idx",
    "MsgDataId",
    "TimeStamp",
    "ErrorCode",
];

/// A small XML builder for WeChat documents.
#[derive(Debug, Default)]
pub struct XmlOut {
    buf: String,
}

impl XmlOut {
    /// A builder with room for `cap` bytes.
    pub fn with_capacity(cap: usize) -> Self {
        XmlOut { buf: String::with_capacity(cap) }
    }

    /// Writes `<xml>`.
    pub fn open_root(&mut self) {
        self.buf.push_str("<xml>");
    }

    /// Writes `</xml>` and returns the document.
    pub fn close_root(mut self) -> String {
        self.buf.push_str("</xml>");
        self.buf
    }

    /// Writes `<name>`.
    pub fn open(&mut self, name: &str) {
        self.buf.push('<');
        self.buf.push_str(name);
        self.buf.push('>');
    }

    /// Writes `</name>`.
    pub fn close(&mut self, name: &str) {
        self.buf.push_str("</");
        self.buf.push_str(name);
        self.buf.push('>');
    }

    /// Writes `<name><![CDATA[text]]></name>`, splitting any `]]>` inside the text.
    pub fn cdata(&mut self, name: &str, text: &str) {
        self.open(name);
        self.buf.push_str("<![CDATA[");
        let text = xml_clean(text);
        if text.contains("]]>") {
            self.buf.push_str(&text.replace("]]>", "]]]]><![CDATA[>"));
        } else {
            self.buf.push_str(&text);
        }
        self.buf.push_str("]]>");
        self.close(name);
    }

    /// Writes `<name>value</name>` with the value escaped as text (for numbers).
    pub fn bare(&mut self, name: &str, value: &str) {
        self.open(name);
        self.buf.push_str(&quick_xml::escape::escape(xml_clean(value).as_ref()));
        self.close(name);
    }
}

/// Removes, in every string of a JSON value (keys too), the characters XML 1.0 does not allow: they would be
/// written as `\u` escapes, which WeChat's APIs refuse.
pub fn json_clean(value: &mut serde_json::Value) {
    match value {
        serde_json::Value::String(s) => {
            if let std::borrow::Cow::Owned(clean) = xml_clean(s) {
                *s = clean;
            }
        }
        serde_json::Value::Array(items) => items.iter_mut().for_each(json_clean),
        serde_json::Value::Object(map) => {
            if map.keys().any(|k| matches!(xml_clean(k), std::borrow::Cow::Owned(_))) {
                let entries: Vec<_> = std::mem::take(map).into_iter().collect();
                for (k, mut v) in entries {
                    json_clean(&mut v);
                    map.insert(xml_clean(&k).into_owned(), v);
                }
            } else {
                map.values_mut().for_each(json_clean);
            }
        }
        _ => {}
    }
}

/// Appends `s` JSON-escaped (without the surrounding quotes), without the characters XML 1.0 does not allow.
pub fn json_escape_into(out: &mut String, s: &str) {
    let quoted = serde_json::to_string(xml_clean(s).as_ref()).expect("strings always serialize");
    out.push_str(&quoted[1..quoted.len() - 1]);
}

/// Writes fields as a WeChat XML document: numbers bare, strings CDATA, nested maps as elements, and a list as
/// one element per entry, repeated under the list's own name (the inverse of [`fields_to_json`], which turns
/// repeated names into an array). So `{"PicList":{"item":[a,b]}}` becomes `<PicList><item>a</item><item>b</item>
/// </PicList>` and `{"List":[a,b]}` becomes `<List>a</List><List>b</List>`, the shapes WeChat itself sends.
/// A field whose name is not an XML name (see [`is_xml_name`]; possible only for JSON keys) is left out.
pub fn fields_to_xml(fields: &Fields) -> String {
    let mut out = XmlOut::with_capacity(256);
    out.open_root();
    write_fields(&mut out, fields);
    out.close_root()
}

fn write_fields(out: &mut XmlOut, fields: &Fields) {
    for (name, value) in fields.iter().filter(|(name, _)| is_xml_name(name)) {
        write_value(out, name, value);
    }
}

/// True when `name` can be written as an element name: an XML 1.0 name (the `NameStartChar` and `NameChar`
/// ranges of the XML 1.0 specification) without `:`, which a namespace-aware parser would read as an unbound
/// prefix. Every WeChat field name qualifies; a JSON key that does not (`"a b"`, `"x><y"`, `"a:b"`, `"1st"`, `""`)
/// cannot be written as XML without breaking or injecting markup, so [`fields_to_xml`] leaves that field out.
pub fn is_xml_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars.next().is_some_and(is_name_start) && chars.all(|c| is_name_start(c) || is_name_char(c))
}

/// `NameStartChar` of XML 1.0 (fifth edition), without `:`.
fn is_name_start(c: char) -> bool {
    matches!(c,
        'A'..='Z' | '_' | 'a'..='z' | '\u{C0}'..='\u{D6}' | '\u{D8}'..='\u{F6}' | '\u{F8}'..='\u{2FF}'
        | '\u{370}'..='\u{37D}' | '\u{37F}'..='\u{1FFF}' | '\u{200C}'..='\u{200D}' | '\u{2070}'..='\u{218F}'
        | '\u{2C00}'..='\u{2FEF}' | '\u{3001}'..='\u{D7FF}' | '\u{F900}'..='\u{FDCF}' | '\u{FDF0}'..='\u{FFFD}'
        | '\u{10000}'..='\u{EFFFF}')
}

/// The characters `NameChar` adds to `NameStartChar`.
fn is_name_char(c: char) -> bool {
    matches!(c, '-' | '.' | '0'..='9' | '\u{B7}' | '\u{300}'..='\u{36F}' | '\u{203F}'..='\u{2040}')
}

fn write_value(out: &mut XmlOut, name: &str, value: &Value) {
    match value {
        Value::Text(t) if is_numeric(name, t) => out.bare(name, t),
        Value::Text(t) => out.cdata(name, t),
        Value::Map(m) => {
            out.open(name);
            write_fields(out, m);
            out.close(name);
        }
        Value::List(items) if items.is_empty() => {
            out.open(name);
            out.close(name);
        }
        Value::List(items) => {
            for item in items {
                write_value(out, name, item);
            }
        }
    }
}

fn is_numeric(name: &str, text: &str) -> bool {
    NUMERIC_FIELDS.contains(&name) && !text.is_empty() && text.parse::<f64>().is_ok()
}

/// Writes fields as a flat JSON object the way Cloud Hosting does: numeric fields as JSON numbers (never through
/// `f64`, so a 64-bit `MsgId` keeps every digit), everything else as strings, maps as objects, lists as arrays.
/// A name that repeats (XML `<List>` elements, `<item>`s) becomes one key holding an array, never a duplicate key.
pub fn fields_to_json(fields: &Fields) -> String {
    let mut out = String::with_capacity(256);
    write_json_fields(&mut out, fields);
    out
}

fn write_json_fields(out: &mut String, fields: &Fields) {
    // Group values by name in order of first appearance, in linear time (a hostile body may hold many fields).
    let mut groups: Vec<(&str, Vec<&Value>)> = Vec::new();
    let mut index: HashMap<&str, usize> = HashMap::new();
    for (name, value) in fields.iter() {
        match index.get(name) {
            Some(&at) => groups[at].1.push(value),
            None => {
                index.insert(name, groups.len());
                groups.push((name, vec![value]));
            }
        }
    }
    out.push('{');
    for (i, (name, values)) in groups.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        out.push('"');
        json_escape_into(out, name);
        out.push_str("\":");
        match values.as_slice() {
            [single] => write_json_value(out, name, single),
            many => {
                out.push('[');
                for (k, v) in many.iter().enumerate() {
                    if k > 0 {
                        out.push(',');
                    }
                    write_json_value(out, name, v);
                }
                out.push(']');
            }
        }
    }
    out.push('}');
}

fn write_json_value(out: &mut String, name: &str, value: &Value) {
    match value {
        Value::Text(t) if is_numeric(name, t) && is_canonical_json_number(t) => out.push_str(t),
        Value::Text(t) => {
            out.push('"');
            json_escape_into(out, t);
            out.push('"');
        }
        Value::Map(m) => write_json_fields(out, m),
        Value::List(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_json_value(out, name, item);
            }
            out.push(']');
        }
    }
}

/// True when `text` is a JSON number that reads back as exactly the same text. `1.50`, `1e5` or `-0` are valid
/// JSON numbers but come back as `1.5`, `100000.0` and `-0.0`, so they are written as strings to stay loss-free.
fn is_canonical_json_number(text: &str) -> bool {
    serde_json::from_str::<serde_json::Number>(text).is_ok_and(|n| n.to_string() == text)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tree;

    #[test]
    fn characters_xml_forbids_never_reach_a_document() {
        let nasty = "a\u{0}b\u{1}c\u{b}d\u{c}e\u{1f}f\u{fffe}g\u{ffff}h\ti\nj\rk中";
        assert_eq!(xml_clean(nasty), "abcdefgh\ti\nj\rk中");
        assert!(matches!(xml_clean("fine 中文\n"), std::borrow::Cow::Borrowed(_)));
        let mut out = XmlOut::with_capacity(64);
        out.open_root();
        out.cdata("Content", nasty);
        let doc = out.close_root();
        let fields = crate::tree::from_xml(doc.as_bytes()).expect("well-formed");
        assert_eq!(fields.text("Content"), Some("abcdefgh\ti\nj\rk中"));
        let mut v = serde_json::json!({"text": {"content": nasty}, "list": [nasty]});
        json_clean(&mut v);
        let json = v.to_string();
        assert!(!json.contains("\\u"), "no \\u escapes: {json}");
    }

    #[test]
    fn cdata_split_survives_round_trip() {
        let f = Fields::new().with_text("Content", "a ]]> b").with_text("CreateTime", "1700000000");
        let xml = fields_to_xml(&f);
        assert!(xml.contains("<CreateTime>1700000000</CreateTime>"));
        assert_eq!(tree::from_xml(xml.as_bytes()).unwrap(), f);
    }

    #[test]
    fn json_numbers_keep_digits() {
        let f = Fields::new().with_text("MsgId", "6054768590064713728").with_text("Content", "42");
        let json = fields_to_json(&f);
        assert_eq!(json, r#"{"MsgId":6054768590064713728,"Content":"42"}"#);
        assert_eq!(tree::from_json(json.as_bytes()).unwrap(), f);
    }

    #[test]
    fn repeated_names_become_arrays_and_back() {
        // Regression: repeated `<List>` / `<item>` elements were written as duplicate JSON keys, so a JSON reader
        // kept only the last one; and a JSON `{"item":[…]}` list was written as `<item><item>…` in XML.
        let one = |id: &str| Fields::new().with_text("TemplateId", id);
        let pics = Fields::new()
            .with_map("item", Fields::new().with_text("PicMd5Sum", "a"))
            .with_map("item", Fields::new().with_text("PicMd5Sum", "b"));
        let xml_shape = Fields::new()
            .with_map("Popup", Fields::new().with_map("List", one("t1")).with_map("List", one("t2")))
            .with_map("PicList", pics)
            .with_text("MsgId", "1")
            .with_text("MsgId", "2");
        let json = fields_to_json(&xml_shape);
        assert_eq!(
            json,
            r#"{"Popup":{"List":[{"TemplateId":"t1"},{"TemplateId":"t2"}]},"PicList":{"item":[{"PicMd5Sum":"a"},{"PicMd5Sum":"b"}]},"MsgId":[1,2]}"#
        );
        let from_json = tree::from_json(json.as_bytes()).unwrap();
        assert_eq!(from_json.map("Popup").unwrap().items("List").len(), 2);
        assert_eq!(from_json.items("PicList").len(), 2);
        // …and the JSON shape written as XML is the original XML shape again.
        let xml = fields_to_xml(&from_json);
        assert_eq!(tree::from_xml(xml.as_bytes()).unwrap(), xml_shape);
        assert!(xml.contains("<PicList><item><PicMd5Sum><![CDATA[a]]></PicMd5Sum></item><item>"));
        assert!(xml.contains("<MsgId>1</MsgId><MsgId>2</MsgId>"));
    }

    #[test]
    fn names_that_are_not_xml_names_are_left_out() {
        // Regression: a JSON key such as `x><Content>forged</Content><y` was written verbatim as an element name,
        // which produced malformed XML or injected elements.
        let f = Fields::new()
            .with_text("Content", "real")
            .with_text("x><Content>forged</Content><y", "v")
            .with_text("a b", "v")
            .with_text("", "v")
            .with_text("1st", "v")
            .with_map("Info", Fields::new().with_text("it's", "v").with_text("ns:no", "1").with_text("名字", "2"));
        let xml = fields_to_xml(&f);
        assert_eq!(xml, "<xml><Content><![CDATA[real]]></Content><Info><名字><![CDATA[2]]></名字></Info></xml>");
        let back = tree::from_xml(xml.as_bytes()).unwrap();
        assert_eq!(back.text("Content"), Some("real"));
        assert_eq!(back.len(), 2);
        for name in NUMERIC_FIELDS.iter().chain(&["Location_X", "bizmsgmenuid", "MediaId16K", "extra_info_json"]) {
            assert!(is_xml_name(name), "{name}");
        }
    }

    #[test]
    fn many_distinct_names_are_grouped_in_linear_time() {
        // Regression: grouping compared every field with every earlier one, quadratic in a hostile body.
        let mut f = Fields::new();
        for i in 0..200_000 {
            f.push(format!("F{i}"), Value::Text(String::new()));
        }
        f.push("F7", Value::Text("again".into()));
        let back = tree::from_json(fields_to_json(&f).as_bytes()).unwrap();
        assert_eq!(back.len(), 200_000);
        assert_eq!(back.items("F7").len(), 2);
    }

    #[test]
    fn json_numbers_only_when_they_read_back_unchanged() {
        // Regression: `Precision` 119.385040 came back from JSON as 119.38504 (and 1e5 as 100000.0).
        for text in ["119.385040", "1e5", "-0", "1.0E3"] {
            let f = Fields::new().with_text("Precision", text);
            let json = fields_to_json(&f);
            assert_eq!(json, format!("{{\"Precision\":\"{text}\"}}"));
            assert_eq!(tree::from_json(json.as_bytes()).unwrap(), f, "{text}");
        }
        let f = Fields::new().with_text("Latitude", "23.137466").with_text("CreateTime", "-5");
        assert_eq!(fields_to_json(&f), r#"{"Latitude":23.137466,"CreateTime":-5}"#);
    }
}
