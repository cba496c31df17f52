import { Body, Controller, Get, HttpCode, Param, Post, Query, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import { BackfillDateView, BackfillDryRun, BackfillService, BackfillView } from '@tributary/scheduler';
import { ApiPrincipal, Principal } from './auth';
import { CreateBackfillDto, ListBackfillsQuery } from './backfills.dto';
import { Page, pageOf, pageWindow } from './pagination';

/**
 * Backfills: a past range of a DAG run again (reprocess none / failed / all), at its own max
 * active runs, never starving the DAG's live runs. GET needs viewer; POST needs operator.
 */
@ApiTags('backfills')
@ApiBearerAuth()
@Controller('api/v1')
export class BackfillsController {
  constructor(private readonly backfills: BackfillService) {}

  /** 201 with the backfill; a dry run answers 200 with the plan and records nothing. */
  @Post('dags/:dagId/backfills')
  @HttpCode(201)
  async create(
    @Param('dagId') dagId: string,
    @Body() body: CreateBackfillDto,
    @Principal() principal: ApiPrincipal | undefined,
    @Res({ passthrough: true }) response: { status(code: number): unknown },
  ): Promise<BackfillView | BackfillDryRun> {
    const result = await this.backfills.create(dagId, { ...body, createdBy: principal?.name ?? null });
    if ('dryRun' in result) response.status(200);
    return result;
  }

  @Get('backfills')
  async list(@Query() query: ListBackfillsQuery): Promise<Page<BackfillView>> {
    const window = pageWindow(query);
    const { items, total } = await this.backfills.list({
      dagId: query.dagId,
      state: query.state,
      ...window,
    });
    return pageOf(items, total, window);
  }

  @Get('backfills/:id')
  async get(@Param('id') id: string): Promise<BackfillView & { dates: BackfillDateView[] }> {
    return this.backfills.get(id);
  }

  /** Stops a running backfill; runs already running or finished are left alone. */
  @Post('backfills/:id/cancel')
  @HttpCode(200)
  async cancel(@Param('id') id: string): Promise<BackfillView> {
    return this.backfills.cancel(id);
  }
}
