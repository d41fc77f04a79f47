import { Controller, Get } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ApiProblemResponse } from '../common/api-problem.decorator.js';
import { Public } from '../common/public.decorator.js';
import { HealthDto } from './health.dto.js';
import { HealthService } from './health.service.js';

@ApiTags('health')
@Controller('health')
@Public()
export class HealthController {
  constructor(private readonly health: HealthService) {}

  @Get('live')
  @ApiOperation({
    summary: 'The process is up',
    description:
      'Liveness: answers while the process serves HTTP; it asks nothing of the database.',
  })
  @ApiOkResponse({ description: 'Healthy', type: HealthDto })
  getLiveness(): HealthDto {
    return { status: 'ok' };
  }

  @Get('ready')
  @ApiOperation({
    summary: 'The database is reachable and migrated',
    description:
      'Readiness: 503 until the database answers and every migration shipped with this build is applied.',
  })
  @ApiOkResponse({ description: 'Healthy', type: HealthDto })
  @ApiProblemResponse(503, 'The database is unreachable or not migrated')
  async getReadiness(): Promise<HealthDto> {
    await this.health.checkReady();
    return { status: 'ok' };
  }
}
