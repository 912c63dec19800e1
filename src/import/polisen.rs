//! polisen reader. See [`super::RowReader`].
