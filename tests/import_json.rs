//! GeoJSON and Polisen readers end to end.
