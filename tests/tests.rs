mod crs;
