mod demo;
mod import_json;
