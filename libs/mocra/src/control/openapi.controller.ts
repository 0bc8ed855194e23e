import { Controller, Get } from '@nestjs/common';
import { mocraOpenApiDocument } from './openapi.document.js';

/** `GET /docs-json` (public): the OpenAPI document of the control plane. */
@Controller('docs-json')
export class OpenApiController {
  private readonly document = mocraOpenApiDocument();

  @Get()
  get(): Record<string, unknown> {
    return this.document;
  }
}
