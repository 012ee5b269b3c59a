//! Mapbox Vector Tiles 2.1 (https://github.com/mapbox/vector-tile-spec): the protobuf
//! messages of `vector_tile.proto`, declared with prost's derive (no code generation step), a
//! writer of layers of points and polygons (keys and values shared by the features of a layer,
//! as the specification asks), and the polygon geometry: rings clipped to the tile and its
//! buffer, wound as §4.3.4.4 asks (exterior rings of positive area in tile coordinates, y
//! down, interior rings negative), encoded as MoveTo, LineTo, ClosePath commands. The same
//! messages decode a tile, which the tests do.
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

/// A layer being written: each key and value stored once, features pointing at them.
#[derive(Debug)]
pub struct LayerWriter<'a> {
    layer: Layer,
    keys: HashMap<&'a str, u32>,
    values: HashMap<(u8, u64, Option<&'a str>), u32>,
}

impl<'a> LayerWriter<'a> {
    pub fn new(name: &str) -> Self {
        LayerWriter {
            layer: Layer { version: 2, name: name.to_owned(), extent: Some(EXTENT), ..Layer::default() },
            keys: HashMap::new(),
            values: HashMap::new(),
        }
    }

    /// Adds a point at tile coordinates `(x, y)` (which may lie a little outside the tile, in
    /// its buffer) with its properties.
    pub fn push(&mut self, x: i32, y: i32, properties: &'a [(&'static str, PropertyValue)]) {
        // One MoveTo (command 1, count 1) to the point, parameters zigzag-encoded.
        let geometry = vec![command(MOVE_TO, 1), zigzag(x), zigzag(y)];
        self.push_feature(GeomType::Point, geometry, properties);
    }

    /// Adds a polygon feature (see [`polygon_geometry`]) with its properties; nothing when no
    /// ring is left (a contour outside the tile, or smaller than its units).
    pub fn push_polygons(&mut self, polygons: &[Polygon], properties: &'a [(&'static str, PropertyValue)]) {
        let geometry = polygon_geometry(polygons);
        if !geometry.is_empty() {
            self.push_feature(GeomType::Polygon, geometry, properties);
        }
    }

    fn push_feature(
        &mut self,
        kind: GeomType,
        geometry: Vec<u32>,
        properties: &'a [(&'static str, PropertyValue)],
    ) {
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
        self.layer.features.push(Feature { id: None, tags, r#type: Some(kind as i32), geometry });
    }

    pub fn is_empty(&self) -> bool {
        self.layer.features.is_empty()
    }

    pub fn finish(self) -> Layer {
        self.layer
    }
}

/// Geometry commands (§4.3.1): the command id in the low 3 bits, the count above.
const MOVE_TO: u32 = 1;
const LINE_TO: u32 = 2;
const CLOSE_PATH: u32 = 7;

fn command(id: u32, count: u32) -> u32 {
    (id & 0x7) | (count << 3)
}

fn zigzag(n: i32) -> u32 {
    ((n << 1) ^ (n >> 31)) as u32
}

fn unzigzag(n: u32) -> i32 {
    ((n >> 1) as i32) ^ -((n & 1) as i32)
}

/// A ring in tile coordinates, open (its first point is not repeated at the end).
pub type Ring = Vec<(i32, i32)>;
/// A polygon: its exterior ring, then its holes.
pub type Polygon = Vec<Ring>;

/// Twice the signed area of a ring by the surveyor's formula, in tile coordinates (y down):
/// positive for a ring that looks clockwise on screen, which MVT 2.1 makes an exterior ring.
pub fn ring_area(ring: &[(i32, i32)]) -> i64 {
    let Some(&last) = ring.last() else { return 0 };
    let mut previous = last;
    let mut sum = 0i64;
    for &point in ring {
        sum += i64::from(previous.0) * i64::from(point.1) - i64::from(point.0) * i64::from(previous.1);
        previous = point;
    }
    sum
}

/// The ring without repeated points (consecutive, or the last equal to the first); `None`
/// when fewer than three points or no area are left, which the specification forbids.
fn clean_ring(ring: &[(i32, i32)]) -> Option<Ring> {
    let mut clean: Ring = Vec::with_capacity(ring.len());
    for &point in ring {
        if clean.last() != Some(&point) {
            clean.push(point);
        }
    }
    while clean.len() > 1 && clean.first() == clean.last() {
        clean.pop();
    }
    (clean.len() >= 3 && ring_area(&clean) != 0).then_some(clean)
}

/// The geometry of a polygon feature: each polygon's exterior ring wound to a positive area,
/// its holes to a negative one, each ring a MoveTo, a LineTo of its other points and a
/// ClosePath, coordinates as deltas from the previous point (across rings, as the cursor
/// moves). Degenerate rings are left out, and with its exterior ring a polygon's holes; empty
/// when nothing is left.
pub fn polygon_geometry(polygons: &[Polygon]) -> Vec<u32> {
    let mut geometry = Vec::new();
    let mut cursor = (0i32, 0i32);
    for polygon in polygons {
        let mut rings = polygon.iter();
        let Some(exterior) = rings.next().and_then(|ring| clean_ring(ring)) else { continue };
        let holes = rings.filter_map(|ring| clean_ring(ring));
        for (index, mut ring) in std::iter::once(exterior).chain(holes).enumerate() {
            let area = ring_area(&ring);
            if (index == 0) != (area > 0) {
                ring.reverse();
            }
            let mut delta = |(x, y): (i32, i32)| {
                let moved = [zigzag(x - cursor.0), zigzag(y - cursor.1)];
                cursor = (x, y);
                moved
            };
            geometry.push(command(MOVE_TO, 1));
            geometry.extend(delta(ring[0]));
            geometry.push(command(LINE_TO, ring.len() as u32 - 1));
            for &point in &ring[1..] {
                geometry.extend(delta(point));
            }
            geometry.push(command(CLOSE_PATH, 1));
        }
    }
    geometry
}

/// The rings of a polygon feature's geometry, for readers of tiles (each open, in the order
/// written); `None` when the commands are not those of polygons.
pub fn rings_of(feature: &Feature) -> Option<Vec<Ring>> {
    let mut rings = Vec::new();
    let mut words = feature.geometry.iter().copied();
    let mut cursor = (0i32, 0i32);
    let mut ring: Ring = Vec::new();
    while let Some(word) = words.next() {
        let (id, count) = (word & 0x7, word >> 3);
        match id {
            MOVE_TO | LINE_TO => {
                if (id == MOVE_TO) != ring.is_empty() || (id == MOVE_TO && count != 1) {
                    return None;
                }
                for _ in 0..count {
                    cursor.0 += unzigzag(words.next()?);
                    cursor.1 += unzigzag(words.next()?);
                    ring.push(cursor);
                }
            }
            CLOSE_PATH if count == 1 && ring.len() >= 3 => rings.push(std::mem::take(&mut ring)),
            _ => return None,
        }
    }
    ring.is_empty().then_some(rings)
}

/// The part of a ring inside the square `min..=max` both ways (Sutherland–Hodgman, one side
/// after the other), open; empty when none is. Where the ring leaves and comes back, the
/// part runs along the square's side, as tile clippers do (it is drawn under the buffer).
pub fn clip_ring(ring: &[(f64, f64)], min: f64, max: f64) -> Vec<(f64, f64)> {
    let mut points = ring.to_vec();
    // Each side: whether a point is on the inner side, and where a segment crosses it.
    type Side = (fn((f64, f64), f64) -> bool, fn((f64, f64), (f64, f64), f64) -> (f64, f64));
    let at_x = |a: (f64, f64), b: (f64, f64), x: f64| (x, a.1 + (b.1 - a.1) * (x - a.0) / (b.0 - a.0));
    let at_y = |a: (f64, f64), b: (f64, f64), y: f64| (a.0 + (b.0 - a.0) * (y - a.1) / (b.1 - a.1), y);
    let sides: [(Side, f64); 4] = [
        ((|p, v| p.0 >= v, at_x), min),
        ((|p, v| p.0 <= v, at_x), max),
        ((|p, v| p.1 >= v, at_y), min),
        ((|p, v| p.1 <= v, at_y), max),
    ];
    for ((inside, cross), value) in sides {
        let Some(&last) = points.last() else { break };
        let mut kept = Vec::with_capacity(points.len() + 4);
        let mut previous = last;
        for &point in &points {
            match (inside(previous, value), inside(point, value)) {
                (true, true) => kept.push(point),
                (true, false) => kept.push(cross(previous, point, value)),
                (false, true) => {
                    kept.push(cross(previous, point, value));
                    kept.push(point);
                }
                (false, false) => {}
            }
            previous = point;
        }
        points = kept;
    }
    points
}

/// The tile coordinates of a point's geometry (a single MoveTo), for readers of tiles.
pub fn point_of(feature: &Feature) -> Option<(i32, i32)> {
    match feature.geometry.as_slice() {
        [9, x, y] => Some((unzigzag(*x), unzigzag(*y))),
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
        let mut layer = LayerWriter::new("adresses");
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

    fn square(min: i32, max: i32) -> Ring {
        vec![(min, min), (max, min), (max, max), (min, max)]
    }

    #[test]
    fn a_polygon_is_encoded_as_the_specification_shows() {
        // §4.3.5, example of a polygon: MoveTo(3,6), LineTo(8,12), LineTo(20,34), ClosePath.
        let triangle = vec![vec![(3, 6), (8, 12), (20, 34)]];
        assert_eq!(polygon_geometry(&[triangle]), [9, 6, 12, 18, 10, 12, 24, 44, 15]);
    }

    #[test]
    fn exterior_rings_are_wound_positive_and_holes_negative() {
        // Given the other way round: an exterior of negative area, a hole of positive area.
        let mut outer = square(0, 10);
        outer.reverse();
        let hole = square(2, 4);
        assert!(ring_area(&outer) < 0 && ring_area(&hole) > 0);
        let second = square(20, 30);
        let mut layer = LayerWriter::new("communes");
        let properties = [("code", PropertyValue::Text("54084".into()))];
        layer.push_polygons(&[vec![outer, hole], vec![second.clone()]], &properties);
        let feature = &layer.finish().features[0];
        assert_eq!(feature.r#type, Some(GeomType::Polygon as i32));
        let rings = rings_of(feature).expect("polygon commands");
        assert_eq!(rings.len(), 3);
        assert_eq!(ring_area(&rings[0]), 200, "exterior: 10 × 10, twice, positive");
        assert_eq!(ring_area(&rings[1]), -8, "hole: 2 × 2, twice, negative");
        assert_eq!(rings[2], second, "the cursor carries over from ring to ring");
        // Each ring: MoveTo(1), LineTo(3), ClosePath: 1 + 2 + 1 + 6 + 1 words.
        assert_eq!(feature.geometry.len(), 3 * 11);
        assert_eq!(feature.geometry[0], 9);
        assert_eq!(feature.geometry[3], (3 << 3) | 2);
        assert_eq!(feature.geometry[10], 15);
    }

    #[test]
    fn degenerate_rings_are_left_out() {
        let line = vec![(0, 0), (5, 5), (10, 10)];
        let repeated = vec![(1, 1), (1, 1), (2, 1), (2, 1), (1, 1)];
        assert!(polygon_geometry(&[vec![line.clone()], vec![repeated]]).is_empty());
        // A degenerate hole goes, its exterior stays; a polygon without exterior goes whole.
        let kept = polygon_geometry(&[vec![square(0, 10), line.clone()], vec![line, square(2, 4)]]);
        let feature = Feature { geometry: kept, ..Feature::default() };
        assert_eq!(rings_of(&feature).expect("polygon commands"), [square(0, 10)]);
        let mut layer = LayerWriter::new("communes");
        layer.push_polygons(&[vec![vec![(0, 0), (0, 0), (0, 0)]]], &[]);
        assert!(layer.is_empty(), "no feature without a ring");
    }

    #[test]
    fn rings_are_clipped_to_the_tile_and_its_buffer() {
        let (min, max) = (-64.0, f64::from(EXTENT) + 64.0);
        // A commune over the tile's top-left corner: cut along the buffer's edges.
        let corner = [(-500.0, -500.0), (100.0, -500.0), (100.0, 100.0), (-500.0, 100.0)];
        let clipped = clip_ring(&corner, min, max);
        let mut sorted = clipped.clone();
        sorted.sort_by(|a, b| a.partial_cmp(b).expect("finite"));
        assert_eq!(sorted, [(-64.0, -64.0), (-64.0, 100.0), (100.0, -64.0), (100.0, 100.0)]);
        // Crossing the right edge slantwise: the crossing points are on the edge.
        let triangle = [(4000.0, 0.0), (4300.0, 150.0), (4000.0, 300.0)];
        let clipped = clip_ring(&triangle, min, max);
        assert_eq!(clipped.len(), 4, "{clipped:?}");
        assert!(clipped.iter().all(|p| p.0 <= max && p.0 >= 4000.0), "{clipped:?}");
        assert!(clipped.contains(&(4160.0, 80.0)) && clipped.contains(&(4160.0, 220.0)), "{clipped:?}");
        // Around the whole tile: the buffered square; outside: nothing.
        let around = [(-1e4, -1e4), (1e4, -1e4), (1e4, 1e4), (-1e4, 1e4)];
        assert_eq!(clip_ring(&around, min, max).len(), 4);
        let away = [(5000.0, 0.0), (6000.0, 0.0), (6000.0, 100.0)];
        assert!(clip_ring(&away, min, max).is_empty());
        // Inside: unchanged.
        let inside = [(1.0, 1.0), (10.0, 1.0), (10.0, 10.0)];
        assert_eq!(clip_ring(&inside, min, max), inside);
    }
}
