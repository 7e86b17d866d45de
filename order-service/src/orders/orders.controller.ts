import { Body, Controller, Get, Headers, HttpCode, Param, Post, Put, Query, Req, Res } from '@nestjs/common';
import {
  ApiConflictResponse,
  ApiCreatedResponse,
  ApiForbiddenResponse,
  ApiHeader,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiProduces,
  ApiServiceUnavailableResponse,
  ApiTags,
} from '@nestjs/swagger';
import type { AuthenticatedUser } from '@oip/platform';
import { Authenticated, CurrentUser } from '@oip/platform/nest';
import type { Request, Response } from 'express';
import { CreateOrderDto } from './dto/create-order.dto';
import { ListOrdersQuery, PageQuery } from './dto/list-orders.query';
import { CustomerIdParams, OrderIdParams } from './dto/order-id.params';
import { UpdateStatusDto } from './dto/update-status.dto';
import { OrderStatusStreams, STATUS_POLL_MS } from './order-status.streams';
import { OrderPage, OrderView } from './order-view';
import { IDEMPOTENCY_KEY, OrdersService } from './orders.service';

@ApiTags('orders')
@Authenticated()
@Controller('orders')
export class OrdersController {
  constructor(
    private readonly orders: OrdersService,
    private readonly streams: OrderStatusStreams,
  ) {}

  @Post()
  @ApiOperation({ summary: 'Place an order: prices are taken from product-service, the total is computed here' })
  // Lower case, the name @Headers() reads, so the document has one parameter for it, not two.
  @ApiHeader({
    name: 'idempotency-key',
    required: false,
    schema: { type: 'string', pattern: IDEMPOTENCY_KEY.source },
    description: 'Retrying with the same key answers the same order (200) instead of placing another',
  })
  @ApiCreatedResponse({ type: OrderView, description: 'Placed, PENDING until inventory answers' })
  @ApiOkResponse({ type: OrderView, description: 'The order placed earlier with this Idempotency-Key' })
  @ApiNotFoundResponse({ description: 'A product does not exist or is not for sale' })
  @ApiConflictResponse({ description: 'A product is inactive, or the Idempotency-Key was used with other items' })
  @ApiServiceUnavailableResponse({ description: 'product-service is down or too slow' })
  async place(
    @CurrentUser() caller: AuthenticatedUser,
    @Body() dto: CreateOrderDto,
    @Res({ passthrough: true }) res: Response,
    @Headers('idempotency-key') idempotencyKey?: string,
    @Headers('authorization') authorization?: string,
  ): Promise<OrderView> {
    const { order, replayed } = await this.orders.place(caller, dto, idempotencyKey, authorization);
    if (replayed) res.status(200).setHeader('idempotent-replayed', 'true');
    return order;
  }

  @Get()
  @ApiOperation({ summary: 'Orders, newest first: your own, or (admin) everyone\'s' })
  @ApiOkResponse({ type: OrderPage })
  list(@CurrentUser() caller: AuthenticatedUser, @Query() query: ListOrdersQuery): Promise<OrderPage> {
    return this.orders.list(caller, query);
  }

  @Get('customer/:customerId')
  @ApiOperation({ summary: 'One customer\'s orders (that customer or an admin)' })
  @ApiOkResponse({ type: OrderPage })
  @ApiForbiddenResponse({ description: 'Another customer\'s orders' })
  listForCustomer(@CurrentUser() caller: AuthenticatedUser, @Param() params: CustomerIdParams, @Query() query: PageQuery): Promise<OrderPage> {
    return this.orders.listForCustomer(caller, params.customerId, query);
  }

  @Get(':id')
  @ApiOperation({ summary: 'One order (its owner or an admin)' })
  @ApiOkResponse({ type: OrderView })
  @ApiNotFoundResponse({ description: 'No such order' })
  @ApiForbiddenResponse({ description: 'Another customer\'s order' })
  get(@CurrentUser() caller: AuthenticatedUser, @Param() params: OrderIdParams): Promise<OrderView> {
    return this.orders.get(caller, params.id);
  }

  @Get(':id/events')
  @ApiOperation({
    summary: `The order's status as server-sent events (its owner or an admin): the order at once, then again after each change (read every ${STATUS_POLL_MS} ms); the stream ends after REJECTED, CANCELLED or DELIVERED`,
  })
  @ApiProduces('text/event-stream')
  @ApiOkResponse({
    description: 'Events named `status` whose `data` is the order (OrderView) as JSON and whose `id` is its version; `: keep-alive` comments in between',
    content: { 'text/event-stream': { schema: { type: 'string', example: 'event: status\nid: 2\ndata: {"id":"…","status":"CONFIRMED",…}\n\n' } } },
  })
  @ApiNotFoundResponse({ description: 'No such order' })
  @ApiForbiddenResponse({ description: 'Another customer\'s order' })
  async events(@CurrentUser() caller: AuthenticatedUser, @Param() params: OrderIdParams, @Req() req: Request, @Res() res: Response): Promise<void> {
    // Read (and the caller checked) before the stream opens, so a refusal is an ordinary problem.
    const first = await this.orders.get(caller, params.id);
    this.streams.serve(req, res, first, () => this.orders.get(caller, params.id));
  }

  @Put(':id/status')
  @ApiOperation({ summary: 'Change an order\'s status: SHIPPED and DELIVERED (admin), CANCELLED (owner or admin)' })
  @ApiOkResponse({ type: OrderView })
  @ApiNotFoundResponse({ description: 'No such order' })
  @ApiForbiddenResponse({ description: 'Another customer\'s order, or a change only an admin may make' })
  @ApiConflictResponse({ description: 'Not a legal change from the order\'s current status' })
  setStatus(@CurrentUser() caller: AuthenticatedUser, @Param() params: OrderIdParams, @Body() dto: UpdateStatusDto): Promise<OrderView> {
    return this.orders.changeStatus(caller, params.id, dto.status);
  }

  @Post(':id/cancel')
  @HttpCode(200)
  @ApiOperation({ summary: 'Cancel a PENDING or CONFIRMED order (owner or admin); its stock hold is released' })
  @ApiOkResponse({ type: OrderView })
  @ApiNotFoundResponse({ description: 'No such order' })
  @ApiForbiddenResponse({ description: 'Another customer\'s order' })
  @ApiConflictResponse({ description: 'The order can no longer be cancelled' })
  cancel(@CurrentUser() caller: AuthenticatedUser, @Param() params: OrderIdParams): Promise<OrderView> {
    return this.orders.cancel(caller, params.id);
  }
}
