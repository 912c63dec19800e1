//! geojson reader. See [`super::RowReader`].
