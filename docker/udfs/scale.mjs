// An example of a user's own function, loaded by the sandbox's host from the mounted
// /etc/kudf/udfs (`kudf serve --udf-dir`). The SDK import resolves through the image's
// /node_modules/kapacitor-udf-host link; see docker/Dockerfile.
import { defineUdf, numericField, opt, withFields } from 'kapacitor-udf-host/sdk';

export default defineUdf({
  name: 'scale',
  description: 'adds field * factor as a new field (e.g. kbit/s to Mbit/s); points without the field pass unchanged',
  wants: 'stream',
  provides: 'stream',
  options: {
    field: opt.string().required().describe('the numeric field'),
    factor: opt.double().required().describe('the multiplier'),
    as: opt.string().default('scaled').describe("output field (default 'scaled')"),
  },
  example: "stream\n    |from()\n        .measurement('adsl_line')\n    @scale()\n        .field('sync_rate_down_kbps')\n        .factor(0.001)\n        .as('sync_rate_down_mbps')",
  create: ({ options }) => ({
    point(point, out) {
      const value = numericField(point, options.field);
      out.emit(value === undefined ? point : withFields(point, { [options.as]: value * options.factor }));
    },
  }),
});
