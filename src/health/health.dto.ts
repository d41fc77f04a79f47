import { ApiProperty, ApiSchema } from '@nestjs/swagger';

@ApiSchema({ description: 'A passing health check.' })
export class HealthDto {
  @ApiProperty({ description: 'Always `ok`; a failing check answers a problem.', example: 'ok' })
  status!: string;
}
