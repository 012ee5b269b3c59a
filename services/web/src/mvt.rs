//! Mapbox Vector Tiles 2.1 (https://github.com/mapbox/vector-tile-spec): the protobuf
//! messages of `vector_tile.proto`, declared with prost's derive (no code generation step), and
//! a writer of point layers (keys and values shared by the features of a layer, as the
//! specification asks). The same messages decode a tile, which the tests do.
use std::collections::HashMap;

/// `Tile`: the layers of one tile.
#[derive(Clone, PartialEq, prost::Message)]
pub struct Tile {
    #[prost(message, repeated, tag = "3")]
    pub layers: Vec<Layer>,
}

/// `Tile.Layer`.
#[derive(Clone, PartialEq, prost::Message)]
pub struct Layer {
    #[prost(uint32, required, tag = "15")]
    pub version: u32,
    #[prost(string, required, tag = "1")]
    pub name: String,
    #[prost(message, repeated, tag = "2")]
    pub features: Vec<Feature>,
    #[prost(string, repeated, tag = "3")]
    pub keys: Vec<String>,
    #[prost(message, repeated, tag = "4")]
    pub values: Vec<Value>,
    #[prost(uint32, optional, tag = "5")]
    pub extent: Option<u32>,
}

/// `Tile.Feature`: `tags` are pairs of indexes into the layer's keys and values.
#[derive(Clone, PartialEq, prost::Message)]
pub struct Feature {
    #[prost(uint64, optional, tag = "1")]
    pub id: Option<u64>,
    #[prost(uint32, repeated, packed = "true", tag = "2")]
    pub tags: Vec<u32>,
    #[prost(enumeration = "GeomType", optional, tag = "3")]
    pub r#type: Option<i32>,
    #[prost(uint32, repeated, packed = "true", tag = "4")]
    pub geometry: Vec<u32>,
}

/// `Tile.Value`: exactly one of the fields is set.
#[derive(Clone, PartialEq, prost::Message)]
pub struct Value {
    #[prost(string, optional, tag = "1")]
    pub string_value: Option<String>,
    #[prost(float, optional, tag = "2")]
    pub float_value: Option<f32>,
    #[prost(double, optional, tag = "3")]
    pub double_value: Option<f64>,
    #[prost(int64, optional, tag = "4")]
    pub int_value: Option<i64>,
    #[prost(uint64, optional, tag = "5")]
    pub uint_value: Option<u64>,
    #[prost(sint64, optional, tag = "6")]
    pub sint_value: Option<i64>,
    #[prost(bool, optional, tag = "7")]
    pub bool_value: Option<bool>,
}

/// `Tile.GeomType`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, prost::Enumeration)]
#[repr(i32)]
pub enum GeomType {
    Unknown = 0,
    Point = 1,
    Linestring = 2,
    Polygon = 3,
}

/// The extent of our tiles: coordinates 0..4096 inside the tile.
pub const EXTENT: u32 = 4096;

/// A property's value, as tiles type them.
#[derive(Debug, Clone, PartialEq)]
pub enum PropertyValue {
    Text(Box<str>),
    Unsigned(u64),
    Signed(i64),
    Float(f64),
    Bool(bool),
}

impl PropertyValue {
    /// The value of a JSON property; `None` for null (dropped, as the BAN's tiles do) and for
    /// arrays and objects (our properties have none).
    pub fn of_json(value: &serde_json::Value) -> Option<Self> {
        match value {
            serde_json::Value::String(text) => Some(PropertyValue::Text(text.as_str().into())),
            serde_json::Value::Bool(flag) => Some(PropertyValue::Bool(*flag)),
            serde_json::Value::Number(number) => number
                .as_u64()
                .map(PropertyValue::Unsigned)
                .or_else(|| number.as_i64().map(PropertyValue::Signed))
                .or_else(|| number.as_f64().map(PropertyValue::Float)),
            _ => None,
        }
    }

    fn to_value(&self) -> Value {
        let mut value = Value::default();
        match self {
            PropertyValue::Text(text) => value.string_value = Some(text.to_string()),
            PropertyValue::Unsigned(n) => value.uint_value = Some(*n),
            PropertyValue::Signed(n) => value.sint_value = Some(*n),
            PropertyValue::Float(x) => value.double_value = Some(*x),
            PropertyValue::Bool(flag) => value.bool_value = Some(*flag),
        }
        value
    }

    /// A key to find the same value again in a layer's table (floats by their bits).
    fn dedup_key(&self) -> (u8, u64, Option<&str>) {
        match self {
            PropertyValue::Text(text) => (0, 0, Some(text)),
            PropertyValue::Unsigned(n) => (1, *n, None),
            PropertyValue::Signed(n) => (2, *n as u64, None),
            PropertyValue::Float(x) => (3, x.to_bits(), None),
            PropertyValue::Bool(flag) => (4, u64::from(*flag), None),
        }
    }
}

/// A layer of points being written: each key and value stored once, features pointing at them.
#[derive(Debug)]
pub struct PointLayer<'a> {
    layer: Layer,
    keys: HashMap<&'a str, u32>,
    values: HashMap<(u8, u64, Option<&'a str>), u32>,
}

impl<'a> PointLayer<'a> {
    pub fn new(name: &str) -> Self {
        PointLayer {
            layer: Layer { version: 2, name: name.to_owned(), extent: Some(EXTENT), ..Layer::default() },
            keys: HashMap::new(),
            values: HashMap::new(),
        }
    }

    /// Adds a point at tile coordinates `(x, y)` (which may lie a little outside the tile, in
    /// its buffer) with its properties.
    pub fn push(&mut self, x: i32, y: i32, properties: &'a [(&'static str, PropertyValue)]) {
        let mut tags = Vec::with_capacity(properties.len() * 2);
        for (key, value) in properties {
            let next_key = self.keys.len() as u32;
            let key_index = *self.keys.entry(key).or_insert_with(|| {
                self.layer.keys.push((*key).to_owned());
                next_key
            });
            let next_value = self.values.len() as u32;
            let value_index = *self.values.entry(value.dedup_key()).or_insert_with(|| {
                self.layer.values.push(value.to_value());
                next_value
            });
            tags.extend([key_index, value_index]);
        }
        // One MoveTo (command 1, count 1) to the point, parameters zigzag-encoded.
        let geometry = vec![(1 << 3) | 1, zigzag(x), zigzag(y)];
        self.layer.features.push(Feature { id: None, tags, r#type: Some(GeomType::Point as i32), geometry });
    }

    pub fn is_empty(&self) -> bool {
        self.layer.features.is_empty()
    }

    pub fn finish(self) -> Layer {
        self.layer
    }
}

fn zigzag(n: i32) -> u32 {
    ((n << 1) ^ (n >> 31)) as u32
}

/// The tile coordinates of a point's geometry (a single MoveTo), for readers of tiles.
pub fn point_of(feature: &Feature) -> Option<(i32, i32)> {
    let unzig = |n: u32| ((n >> 1) as i32) ^ -((n & 1) as i32);
    match feature.geometry.as_slice() {
        [9, x, y] => Some((unzig(*x), unzig(*y))),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use prost::Message as _;

    use super::*;

    #[test]
    fn points_round_trip_with_shared_keys_and_values() {
        let a =
            [("numero", PropertyValue::Unsigned(12)), ("nomVoie", PropertyValue::Text("Rue Haute".into()))];
        let b =
            [("numero", PropertyValue::Unsigned(14)), ("nomVoie", PropertyValue::Text("Rue Haute".into()))];
        let mut layer = PointLayer::new("adresses");
        layer.push(10, -3, &a);
        layer.push(4095, 4100, &b);
        let tile = Tile { layers: vec![layer.finish()] };
        let read = Tile::decode(tile.encode_to_vec().as_slice()).expect("a tile we wrote decodes");
        let layer = &read.layers[0];
        assert_eq!((layer.name.as_str(), layer.version, layer.extent), ("adresses", 2, Some(4096)));
        assert_eq!(layer.keys, ["numero", "nomVoie"]);
        assert_eq!(layer.values.len(), 3, "the street's name is stored once");
        assert_eq!(point_of(&layer.features[0]), Some((10, -3)));
        assert_eq!(point_of(&layer.features[1]), Some((4095, 4100)));
        assert_eq!(layer.features[1].tags, [0, 2, 1, 1]);
        assert_eq!(layer.values[2].uint_value, Some(14));
    }
}
