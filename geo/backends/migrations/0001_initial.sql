-- 0001: dataset versions, layers, observations, targeting units, OGC features.
--
-- Every data row carries the dataset version that wrote it (``version``).  A
-- version that does not change a layer shares the rows of an earlier version:
-- ``dataset_layers`` maps (dataset version, layer) to the version holding its
-- rows (``data_version``).  Rows are never updated or deleted once written, so
-- a reader that looked up the current version keeps a consistent view while
-- an upload writes the next one.  Geometries: ``geom`` WGS84 (EPSG:4326) as
-- served, ``geom_utm`` UTM 48N (EPSG:32648) for every distance, length and
-- metric predicate; both computed by the loader (pyproj), GiST-indexed.

CREATE TABLE dataset_versions (
    version      integer PRIMARY KEY CHECK (version >= 0),
    kind         text NOT NULL,                       -- base / observations / boundaries
    parent       integer REFERENCES dataset_versions (version),
    created_at   timestamptz NOT NULL DEFAULT now(),
    who          text NOT NULL DEFAULT '',
    note         text NOT NULL DEFAULT '',
    source_file  text NOT NULL DEFAULT '',
    sha256       text NOT NULL DEFAULT '',
    counts       jsonb NOT NULL DEFAULT '{}'::jsonb,
    manifest     json NOT NULL DEFAULT '{}'::json,    -- the full manifest, key order kept
    current      boolean NOT NULL DEFAULT false
);
-- At most one current version, whatever the writers do.
CREATE UNIQUE INDEX dataset_versions_one_current ON dataset_versions ((true)) WHERE current;

CREATE TABLE dataset_layers (
    version       integer NOT NULL REFERENCES dataset_versions (version) ON DELETE CASCADE,
    name          text NOT NULL,        -- a GeoPackage layer, "ogc:<collection>" or "units:<level>"
    kind          text NOT NULL,        -- features / table / ogc / units
    data_version  integer NOT NULL,     -- the version whose rows hold it
    pos           integer NOT NULL,     -- order of the layers in the GeoPackage
    sha256        text NOT NULL,        -- content hash (shared rows when unchanged)
    info          json NOT NULL,        -- columns and dtypes, CRS, collection metadata …
    PRIMARY KEY (version, name)
);

-- Layers with and without geometry, one row per feature, attributes as ordered JSON.
CREATE TABLE layer_rows (
    version   integer NOT NULL,
    layer     text NOT NULL,
    pos       integer NOT NULL,
    fid       text,
    attrs     json NOT NULL,
    geom      geometry(Geometry, 4326),
    geom_utm  geometry(Geometry, 32648),
    PRIMARY KEY (version, layer, pos)
);
CREATE INDEX layer_rows_fid ON layer_rows (layer, version, fid);
CREATE INDEX layer_rows_geom ON layer_rows USING gist (geom);
CREATE INDEX layer_rows_geom_utm ON layer_rows USING gist (geom_utm);
CREATE INDEX layer_rows_works_utm ON layer_rows USING gist (geom_utm) WHERE layer = 'works';
CREATE INDEX layer_rows_border_utm ON layer_rows USING gist (geom_utm) WHERE layer = 'border';
CREATE INDEX layer_rows_roads_utm ON layer_rows USING gist (geom_utm) WHERE layer = 'roads';

-- The reference lines (border, roads) cut into pieces of at most 32 vertices
-- (ST_Subdivide): ST_DWithin / KNN against long, detailed lines stay
-- index-assisted and cheap.  Written with the layer's rows (same version).
CREATE TABLE line_parts (
    version   integer NOT NULL,
    layer     text NOT NULL,
    pos       integer NOT NULL,         -- the line's row in layer_rows
    country   text,                     -- border lines: LAO / KHM
    geom_utm  geometry(Geometry, 32648) NOT NULL
);
CREATE INDEX line_parts_layer ON line_parts (layer, version);
CREATE INDEX line_parts_geom_utm ON line_parts USING gist (geom_utm);

-- The long observations table (one value per row), typed.
CREATE TABLE observations (
    version     integer NOT NULL,
    seq         integer NOT NULL,       -- row order (ties in value picking follow it)
    unit_level  text,
    gso_code    text,
    unit_name   text,
    indicator   text,
    year        integer,
    period      text,
    qualifier   text,
    value       double precision,
    unit        text,
    standard    text,
    status      text,
    source      text,
    note        text,
    extra       json,                   -- columns beyond these, if any
    PRIMARY KEY (version, seq)
);
CREATE INDEX observations_pick ON observations (version, indicator, unit_level, year);

-- Units as ranked by /targets (communes, districts with their border flags).
CREATE TABLE target_units (
    version           integer NOT NULL,
    level             text NOT NULL,    -- commune / district
    pos               integer NOT NULL,
    gso_code          text NOT NULL,
    district_code     text,
    name              text,
    on_border         boolean,
    border_countries  text,
    attrs             json NOT NULL,
    geom              geometry(Geometry, 4326),
    geom_utm          geometry(Geometry, 32648),
    PRIMARY KEY (version, level, pos),
    UNIQUE (version, level, gso_code)
);
CREATE INDEX target_units_geom_utm ON target_units USING gist (geom_utm);
CREATE INDEX target_units_district ON target_units (version, level, district_code);

-- OGC API – Features: the served collections, one row per feature, ready to page.
CREATE TABLE ogc_features (
    version        integer NOT NULL,
    collection     text NOT NULL,
    pos            integer NOT NULL,    -- order by id (the default order)
    fid            text NOT NULL,
    id_json        text NOT NULL,
    geometry_json  text NOT NULL,
    fragments      json NOT NULL,       -- '"name":value' per property, in column order
    props          jsonb NOT NULL,      -- the same values, for filters and sortby
    notes          json,                -- synthetic note per status column (or null)
    feature_year   double precision,    -- works: the year (datetime filter)
    geom           geometry(Geometry, 4326),
    PRIMARY KEY (version, collection, pos),
    UNIQUE (version, collection, fid)
);
CREATE INDEX ogc_features_geom ON ogc_features USING gist (geom);
