// Validates an OpenAPI document with @apidevtools/swagger-parser (schema and $refs); exits 1 with the reason if not.
import SwaggerParser from "@apidevtools/swagger-parser";

const file = process.argv[2];
try {
  const api = await SwaggerParser.validate(file);
  console.log(`swagger-parser: ${file} is valid OpenAPI ${api.openapi}, ${Object.keys(api.paths).length} paths`);
} catch (error) {
  console.error(`swagger-parser: ${file} is not valid: ${error.message}`);
  process.exit(1);
}
