import type { DataSourceRef } from '@grafana/grafana-foundation-sdk/common';

/**
 * The InfluxDB data source every panel queries, as provisioned (dashboards/provisioning/): the
 * dashboard JSON refers to it by uid, so it works unchanged in the docker lab and in any Grafana
 * given the same provisioning.
 */
export const INFLUX_DATASOURCE: DataSourceRef = { type: 'influxdb', uid: 'gridbench-influxdb' };

/** The database the lab's nodes stream into (`--out influxdb=http://influxdb:8086/gridbench`). */
export const LAB_DATABASE = 'gridbench';

/** InfluxDB as Grafana reaches it inside the lab's compose network. */
export const LAB_INFLUX_URL = 'http://influxdb:8086';

/** The data source's minimum interval: outputs flush every second, finer buckets would flicker. */
export const MIN_INTERVAL_MS = 1000;

/** Where the Grafana container finds the dashboard JSON (compose mounts dashboards/json there). */
export const GRAFANA_DASHBOARDS_PATH = '/var/lib/grafana/dashboards/gridbench';

/** The Grafana folder the dashboards appear in. */
export const GRAFANA_FOLDER = 'gridbench';
