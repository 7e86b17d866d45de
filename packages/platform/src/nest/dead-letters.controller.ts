import { Controller, Get, HttpCode, Inject, Module, Param, Post, Query, type DynamicModule } from '@nestjs/common';
import { ApiNotFoundResponse, ApiOkResponse, ApiOperation, ApiProperty, ApiPropertyOptional, ApiServiceUnavailableResponse, ApiTags } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsInt, IsOptional, Matches, Max, Min } from 'class-validator';
import { MAX_DEAD_LETTERS_LISTED } from '../http/dead-letters.router';
import { BrokerConnection } from '../messaging/broker-connection';
import { DeadLetters, type DeadLetter, type DeadLetterList } from '../messaging/dead-letters';
import { ID_MESSAGE, ID_PATTERN } from '../validation/input-rules';
import { Roles } from './auth/auth.decorators';

/**
 * The NestJS adapter of the dead-letter admin API: the same routes, answers and DeadLetters as the
 * Express one (http/dead-letters.router.ts). Import `DeadLettersModule.forQueue(<the service's queue>)`.
 */
const DEAD_LETTERS = Symbol('DEAD_LETTERS');

export class DeadLetterListQueryDto {
  @ApiPropertyOptional({ type: 'integer', minimum: 1, maximum: MAX_DEAD_LETTERS_LISTED, default: 100 })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(MAX_DEAD_LETTERS_LISTED)
  limit: number = 100;
}

export class DeadLetterIdParamsDto {
  @ApiProperty({ pattern: ID_PATTERN.source })
  @Matches(ID_PATTERN, { message: `messageId ${ID_MESSAGE}` })
  messageId!: string;
}

export class DeadLetterView implements DeadLetter {
  @ApiProperty({ description: 'The event id (AMQP message id), or a digest of the body for a message without one' })
  messageId!: string;

  @ApiProperty({ type: 'string', nullable: true })
  type!: string | null;

  @ApiProperty({ description: "The service's queue whose consumer gave up on it" })
  queue!: string;

  @ApiProperty({ type: 'string', nullable: true, description: "The handler's last error, or why the broker dead-lettered it" })
  error!: string | null;

  @ApiProperty({ type: 'integer', nullable: true })
  attempts!: number | null;

  @ApiProperty({ type: 'string', nullable: true, format: 'date-time' })
  deadLetteredAt!: string | null;

  @ApiProperty({ description: 'The CloudEvent, or the raw text when the body is not JSON', oneOf: [{ type: 'object' }, { type: 'string' }] })
  event!: unknown;
}

export class DeadLetterListView implements DeadLetterList {
  @ApiProperty()
  queue!: string;

  @ApiProperty({ type: 'integer', description: 'Messages waiting in the dead-letter queue' })
  total!: number;

  @ApiProperty({ type: [DeadLetterView] })
  items!: DeadLetterView[];
}

@ApiTags('admin')
@Roles('admin')
@Controller('admin/dead-letters')
export class DeadLettersController {
  constructor(@Inject(DEAD_LETTERS) private readonly deadLetters: DeadLetters) {}

  @Get()
  @ApiOperation({ summary: 'Events this service gave up on (its dead-letter queue), oldest first, with their last error; nothing is removed' })
  @ApiOkResponse({ type: DeadLetterListView })
  @ApiServiceUnavailableResponse({ description: 'RabbitMQ is not reachable' })
  list(@Query() query: DeadLetterListQueryDto): Promise<DeadLetterList> {
    return this.deadLetters.list(query.limit);
  }

  @Post(':messageId/replay')
  @HttpCode(200)
  @ApiOperation({ summary: "Send a dead letter back to this service's queue with its retries reset (consumers are idempotent)" })
  @ApiOkResponse({ type: DeadLetterView })
  @ApiNotFoundResponse({ description: 'No such message in the dead-letter queue' })
  @ApiServiceUnavailableResponse({ description: 'RabbitMQ is not reachable' })
  replay(@Param() params: DeadLetterIdParamsDto): Promise<DeadLetter> {
    return this.deadLetters.replay(params.messageId);
  }

  @Post(':messageId/discard')
  @HttpCode(200)
  @ApiOperation({ summary: 'Remove a dead letter for good' })
  @ApiOkResponse({ type: DeadLetterView })
  @ApiNotFoundResponse({ description: 'No such message in the dead-letter queue' })
  @ApiServiceUnavailableResponse({ description: 'RabbitMQ is not reachable' })
  discard(@Param() params: DeadLetterIdParamsDto): Promise<DeadLetter> {
    return this.deadLetters.discard(params.messageId);
  }
}

@Module({})
export class DeadLettersModule {
  /** Needs PlatformModule (its BrokerConnection) in the application. */
  static forQueue(queue: string): DynamicModule {
    return {
      module: DeadLettersModule,
      controllers: [DeadLettersController],
      providers: [{ provide: DEAD_LETTERS, useFactory: (broker: BrokerConnection) => new DeadLetters(broker, queue), inject: [BrokerConnection] }],
    };
  }
}
