//! Presenting the lägesbild: saved views in the app and presentation mode
//! (F5), and the strings of this map fixes (`text`).

pub mod text;
