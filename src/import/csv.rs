//! csv reader. See [`super::RowReader`].
